import { Page } from '../ui';

export default function Apps() {
  return <Page title="Applications" />;
}

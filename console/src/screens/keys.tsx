import { Page } from '../ui';

export default function Keys() {
  return <Page title="Signing keys" />;
}

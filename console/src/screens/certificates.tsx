import { Page } from '../ui';

export default function Certificates() {
  return <Page title="Certificates" />;
}

import { Page } from '../ui';

export default function Issuers() {
  return <Page title="Issuers" />;
}

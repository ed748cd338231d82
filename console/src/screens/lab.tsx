import { Page } from '../ui';

export default function Lab() {
  return <Page title="Assertion Lab" />;
}

import { Page } from '../ui';

export default function Users() {
  return <Page title="Users" />;
}

import { Page } from '../ui';

export default function Dashboard() {
  return <Page title="Dashboard" />;
}

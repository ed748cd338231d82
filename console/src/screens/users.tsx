// Users: the people assertions name by userName (/admin/v1/Users): list, filter by userName,
// create, activate or deactivate, delete.
import { useState } from 'preact/hooks';
import { api, type ListResponse } from '../api';
import { ActiveBadge, ActiveToggle } from '../lib/active';
import { ConfirmButton } from '../lib/confirm';
import { eqFilter, listAll } from '../lib/scim';
import { Button, DataTable, ErrorNotice, Field, Notice, Page, useAsync, type Column } from '../ui';
import '../lib/directory.css';
import './users.css';

interface User {
  id: string;
  userName: string;
  name?: { givenName?: string; familyName?: string };
  emails?: { value: string; primary?: boolean }[];
  active: boolean;
}

const USERS = '/admin/v1/Users';

function fullName(u: User): string {
  return [u.name?.givenName, u.name?.familyName].filter((x) => x !== undefined && x !== '').join(' ');
}

function primaryEmail(u: User): string {
  return (u.emails?.find((e) => e.primary) ?? u.emails?.[0])?.value ?? '';
}

function CreateUser(props: { onCreated: (u: User) => void }) {
  const [userName, setUserName] = useState('');
  const [given, setGiven] = useState('');
  const [family, setFamily] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const body: Record<string, unknown> = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: userName.trim(),
        name: { givenName: given.trim(), familyName: family.trim() },
        active: true,
      };
      if (email.trim() !== '') body.emails = [{ value: email.trim(), primary: true }];
      const created = await api<User>('POST', USERS, body);
      setUserName('');
      setGiven('');
      setFamily('');
      setEmail('');
      props.onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="user-create card" onSubmit={submit} aria-labelledby="user-create-heading">
      <h2 id="user-create-heading">Create a user</h2>
      <div class="form-grid">
        <Field
          id="user-new-name"
          label="User name"
          required
          autoComplete="off"
          value={userName}
          onInput={setUserName}
        />
        <Field id="user-new-given" label="Given name" autoComplete="off" value={given} onInput={setGiven} />
        <Field
          id="user-new-family"
          label="Family name"
          autoComplete="off"
          value={family}
          onInput={setFamily}
        />
        <Field
          id="user-new-email"
          label="Email"
          type="email"
          autoComplete="off"
          value={email}
          onInput={setEmail}
        />
      </div>
      <ErrorNotice error={error} />
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          Create user
        </Button>
      </div>
    </form>
  );
}

export default function Users() {
  // The filter applied (the text field is applied when the filter form is submitted).
  const [filter, setFilter] = useState('');
  const [filterText, setFilterText] = useState('');
  const [notice, setNotice] = useState('');
  const users = useAsync(
    () =>
      filter === ''
        ? listAll<User>(USERS)
        : api<ListResponse<User>>('GET', `${USERS}?${eqFilter('userName', filter)}`).then(
            (l) => l.Resources ?? [],
          ),
    [filter],
  );
  const list = users.data ?? [];
  const changed = (message: string) => {
    setNotice(message);
    users.reload();
  };
  const columns: Column<User>[] = [
    { header: 'User name', render: (u) => <strong>{u.userName}</strong> },
    { header: 'Name', render: fullName },
    { header: 'Email', render: primaryEmail },
    { header: 'Status', render: (u) => <ActiveBadge active={u.active} /> },
    {
      header: 'Actions',
      class: 'actions',
      render: (u) => (
        <div class="row-actions">
          <ActiveToggle
            active={u.active}
            path={`${USERS}/${encodeURIComponent(u.id)}`}
            label={u.userName}
            message={(done) => `${u.userName} ${done}.`}
            onChanged={changed}
          />
          <ConfirmButton
            label="Delete"
            ariaLabel={`Delete ${u.userName}`}
            question={`Delete the user ${u.userName}?`}
            confirmLabel="Delete user"
            danger
            onConfirm={async () => {
              await api('DELETE', `${USERS}/${encodeURIComponent(u.id)}`);
              changed(`${u.userName} deleted.`);
            }}
          >
            <p>
              Assertions naming {u.userName} are refused from now on; tokens already issued stay valid until
              they expire.
            </p>
          </ConfirmButton>
        </div>
      ),
    },
  ];
  const count = `${list.length} ${list.length === 1 ? 'user' : 'users'}`;
  return (
    <Page title="Users">
      <p class="lead">
        The users whose assertions Tessera accepts: an assertion's sub names an active user by user name.
      </p>
      <CreateUser onCreated={(u) => changed(`${u.userName} created.`)} />
      <Notice>{notice === '' ? null : notice}</Notice>
      <section aria-labelledby="user-list-heading">
        <h2 id="user-list-heading">All users</h2>
        <form
          class="user-filter"
          role="search"
          aria-label="Users"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(filterText.trim());
          }}
        >
          <Field
            id="user-filter"
            label="Filter by user name"
            type="search"
            autoComplete="off"
            hint="Matches a user name exactly."
            value={filterText}
            onInput={setFilterText}
          />
          <div class="form-actions">
            <Button type="submit">Filter</Button>
            {filter !== '' && (
              <Button
                onClick={() => {
                  setFilter('');
                  setFilterText('');
                }}
              >
                Clear filter
              </Button>
            )}
          </div>
        </form>
        <ErrorNotice error={users.error} />
        <DataTable
          caption={
            // While a list is on its way the rows shown are the previous one's: the caption
            // names a filter only once its answer is what the table holds.
            users.loading
              ? 'Loading users…'
              : filter === ''
                ? count
                : `${count} named “${filter}”`
          }
          columns={columns}
          rows={list}
          rowKey={(u) => u.id}
          empty={filter === '' ? 'No users yet.' : 'No user has that user name.'}
        />
      </section>
    </Page>
  );
}

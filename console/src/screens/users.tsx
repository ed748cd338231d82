// Users: the people assertions name by userName (/admin/v1/Users): list, filter by userName,
// create, activate or deactivate, delete.
import {useState} from 'preact/hooks';
import {api} from '../api';
import {ConfirmButton} from '../lib/confirm';
import {useLoad} from '../lib/load';
import {eqFilter, listAll, replaceOp} from '../lib/scim';
import {Badge, ErrorNotice, Page} from '../ui';
import '../lib/directory.css';
import './users.css';

interface User {
  id: string;
  userName: string;
  name?: {givenName?: string; familyName?: string};
  emails?: {value: string; primary?: boolean}[];
  active: boolean;
}

const USERS = '/admin/v1/Users';

function fullName(u: User): string {
  return [u.name?.givenName, u.name?.familyName].filter((x) => x !== undefined && x !== '').join(' ');
}

function primaryEmail(u: User): string {
  return (u.emails?.find((e) => e.primary) ?? u.emails?.[0])?.value ?? '';
}

function CreateUser(props: {onCreated: (u: User) => void}) {
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
        name: {givenName: given.trim(), familyName: family.trim()},
        active: true,
      };
      if (email.trim() !== '') body.emails = [{value: email.trim(), primary: true}];
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
    <form class="user-create" onSubmit={submit} aria-labelledby="user-create-heading">
      <h2 id="user-create-heading">Create a user</h2>
      <div class="form-grid">
        <div class="form-row">
          <label for="user-new-name">User name</label>
          <input
            id="user-new-name"
            required
            autocomplete="off"
            value={userName}
            onInput={(e) => setUserName(e.currentTarget.value)}
          />
        </div>
        <div class="form-row">
          <label for="user-new-given">Given name</label>
          <input id="user-new-given" autocomplete="off" value={given} onInput={(e) => setGiven(e.currentTarget.value)} />
        </div>
        <div class="form-row">
          <label for="user-new-family">Family name</label>
          <input id="user-new-family" autocomplete="off" value={family} onInput={(e) => setFamily(e.currentTarget.value)} />
        </div>
        <div class="form-row">
          <label for="user-new-email">Email</label>
          <input
            id="user-new-email"
            type="email"
            autocomplete="off"
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
      </div>
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        Create user
      </button>
    </form>
  );
}

function UserRow(props: {user: User; onChanged: (message: string) => void}) {
  const u = props.user;
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    setError(null);
    setBusy(true);
    try {
      await api('PATCH', `${USERS}/${encodeURIComponent(u.id)}`, replaceOp('active', !u.active));
      props.onChanged(`${u.userName} ${u.active ? 'deactivated' : 'activated'}.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <th scope="row">{u.userName}</th>
      <td data-label="Name">{fullName(u)}</td>
      <td data-label="Email">{primaryEmail(u)}</td>
      <td data-label="Status">
        <Badge tone={u.active ? 'ok' : 'muted'}>{u.active ? 'active' : 'inactive'}</Badge>
      </td>
      <td class="actions">
        <button type="button" disabled={busy} aria-label={`${u.active ? 'Deactivate' : 'Activate'} ${u.userName}`} onClick={toggle}>
          {u.active ? 'Deactivate' : 'Activate'}
        </button>{' '}
        <ConfirmButton
          label="Delete"
          ariaLabel={`Delete ${u.userName}`}
          question={`Delete the user ${u.userName}?`}
          confirmLabel="Delete user"
          danger
          onConfirm={async () => {
            await api('DELETE', `${USERS}/${encodeURIComponent(u.id)}`);
            props.onChanged(`${u.userName} deleted.`);
          }}
        >
          <p>Assertions naming {u.userName} are refused from now on; tokens already issued stay valid until they expire.</p>
        </ConfirmButton>
        <ErrorNotice error={error} />
      </td>
    </tr>
  );
}

export default function Users() {
  // The filter applied (the text field is only applied when the filter form is submitted).
  const [filter, setFilter] = useState('');
  const [filterText, setFilterText] = useState('');
  const [notice, setNotice] = useState('');
  const users = useLoad(
    () =>
      filter === ''
        ? listAll<User>(USERS)
        : api<{Resources?: User[]}>('GET', `${USERS}?${eqFilter('userName', filter)}`).then((l) => l.Resources ?? []),
    [filter],
  );
  const list = users.data ?? [];
  const changed = (message: string) => {
    setNotice(message);
    void users.reload();
  };
  return (
    <Page title="Users">
      <p class="lead">The users whose assertions Tessera accepts: an assertion's sub names an active user by user name.</p>
      <CreateUser onCreated={(u) => changed(`${u.userName} created.`)} />
      <p role="status" class="notice">
        {notice}
      </p>
      <section aria-labelledby="user-list-heading">
        <h2 id="user-list-heading">All users</h2>
        <form
          class="user-filter"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(filterText.trim());
          }}
        >
          <label for="user-filter">Filter by user name</label>
          <input
            id="user-filter"
            type="search"
            autocomplete="off"
            value={filterText}
            onInput={(e) => setFilterText(e.currentTarget.value)}
          />
          <button type="submit">Filter</button>
          {filter !== '' && (
            <button
              type="button"
              onClick={() => {
                setFilter('');
                setFilterText('');
              }}
            >
              Clear filter
            </button>
          )}
        </form>
        <p class="hint">The filter matches a user name exactly.</p>
        <ErrorNotice error={users.error} />
        <table class="user-table">
          <caption>
            {users.loading && users.data === undefined
              ? 'Loading users…'
              : filter === ''
                ? `${list.length} ${list.length === 1 ? 'user' : 'users'}`
                : `${list.length} ${list.length === 1 ? 'user' : 'users'} named “${filter}”`}
          </caption>
          <thead>
            <tr>
              <th scope="col">User name</th>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.map((u) => (
              <UserRow key={u.id} user={u} onChanged={changed} />
            ))}
          </tbody>
        </table>
      </section>
    </Page>
  );
}

// The Applications screen (/console/apps): the apps of the domain, one app's detail
// (/console/apps?id=<id>), and the forms that create confidential and resource apps.
import { useEffect, useState } from "preact/hooks";
import { apiList } from "../api";
import { Badge, ErrorNotice, Page } from "../ui";
import { ClientForm, ResourceForm } from "./apps-forms";
import { AppDetail } from "./apps-detail";
import { SecretPanel } from "./apps-dialogs";
import {
  APPS_PATH,
  CLIENT_CERTIFICATES_PATH,
  appLink,
  availableScopes,
  grantLabel,
  isResource,
  kindLabel,
  selectedIdFromLocation,
  type App,
  type ClientCertificate,
  type CreatedApp,
  type OneTimeSecret,
} from "./apps-model";
import "./apps.css";

type View = { kind: "none" } | { kind: "app"; id: string } | { kind: "new-client" } | { kind: "new-resource" };

function viewFromLocation(): View {
  const id = selectedIdFromLocation(window.location.search);
  return id === null ? { kind: "none" } : { kind: "app", id };
}

function AppRow({ app, selected, onOpen }: { app: App; selected: boolean; onOpen: (id: string) => void }) {
  const resource = isResource(app);
  return (
    <tr class={selected ? "apps-selected" : undefined} aria-current={selected ? "true" : undefined}>
      <th scope="row">
        <a
          href={appLink(app.id)}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            onOpen(app.id);
          }}
        >
          {app.displayName}
        </a>
      </th>
      <td>{kindLabel(app)}</td>
      <td>{resource ? <span class="apps-note">none</span> : <code class="apps-code">{app.name}</code>}</td>
      <td>{app.active ? <Badge tone="ok">Active</Badge> : <Badge tone="warn">Inactive</Badge>}</td>
      <td>{resource ? <span class="apps-note">none</span> : (app.allowedGrants ?? []).map(grantLabel).join(", ")}</td>
      <td>{resource ? <span class="apps-note">none</span> : (app.certificates ?? []).length}</td>
    </tr>
  );
}

export default function AppsScreen() {
  const [view, setView] = useState<View>(viewFromLocation);
  const [apps, setApps] = useState<App[] | null>(null);
  const [certs, setCerts] = useState<ClientCertificate[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  // The one-time secret: component state only, dropped on close, on another app, on leaving.
  const [secret, setSecret] = useState<(OneTimeSecret & { appId: string }) | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([
      apiList<App>(`${APPS_PATH}?count=1000`),
      apiList<ClientCertificate>(CLIENT_CERTIFICATES_PATH),
    ]).then(
      ([a, c]) => {
        if (!live) return;
        setApps(a);
        setCerts(c);
        setError(null);
      },
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [version]);

  useEffect(() => {
    const onPop = () => {
      setSecret(null);
      setView(viewFromLocation());
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const go = (next: View) => {
    const id = next.kind === "app" ? next.id : null;
    const url = appLink(id);
    if (window.location.pathname + window.location.search !== url) window.history.pushState(null, "", url);
    if (next.kind !== "app" || secret?.appId !== next.id) setSecret(null);
    setView(next);
  };
  const refresh = () => setVersion((v) => v + 1);

  const created = (app: CreatedApp) => {
    go({ kind: "app", id: app.id });
    if (app.clientSecret !== undefined && app.name !== undefined) {
      setSecret({ appId: app.id, appName: app.displayName, clientId: app.name, clientSecret: app.clientSecret });
    }
    refresh();
  };

  const selectedId = view.kind === "app" ? view.id : null;
  return (
    <Page title="Applications">
      <div class="apps-toolbar">
        <button type="button" onClick={() => go({ kind: "new-client" })}>
          New confidential app
        </button>
        <button type="button" onClick={() => go({ kind: "new-resource" })}>
          New resource app
        </button>
      </div>
      <ErrorNotice error={error} />
      <div class="apps-layout">
        <section class="apps-list" aria-labelledby="apps-list-title">
          <h2 id="apps-list-title">All apps</h2>
          {apps === null ? (
            error === null && <p class="apps-note">Loading…</p>
          ) : apps.length === 0 ? (
            <p class="apps-note">No app yet.</p>
          ) : (
            <div class="apps-scroll" tabIndex={0} role="region" aria-label="Table of apps">
              <table class="apps-table">
                <thead>
                  <tr>
                    <th scope="col">Display name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Client ID</th>
                    <th scope="col">Status</th>
                    <th scope="col">Grants</th>
                    <th scope="col">Certificates</th>
                  </tr>
                </thead>
                <tbody>
                  {apps.map((a) => (
                    <AppRow key={a.id} app={a} selected={a.id === selectedId} onOpen={(id) => go({ kind: "app", id })} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <div class="apps-main">
          {secret !== null && selectedId === secret.appId && (
            <SecretPanel secret={secret} onClose={() => setSecret(null)} />
          )}
          {view.kind === "app" && (
            <AppDetail
              key={view.id}
              id={view.id}
              certificates={certs}
              scopes={availableScopes(apps ?? [])}
              onChanged={refresh}
              onDeleted={() => {
                go({ kind: "none" });
                refresh();
              }}
              onSecret={(s) => setSecret({ ...s, appId: view.id })}
            />
          )}
          {view.kind === "new-client" && (
            <ClientForm
              scopes={availableScopes(apps ?? [])}
              certificates={certs}
              onCreated={created}
              onCancel={() => go({ kind: "none" })}
            />
          )}
          {view.kind === "new-resource" && (
            <ResourceForm onCreated={created} onCancel={() => go({ kind: "none" })} />
          )}
          {view.kind === "none" && <p class="apps-note">Choose an app to see and change it, or create one.</p>}
        </div>
      </div>
    </Page>
  );
}

#include "server/demo.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "jose/json.h"
#include "jose/keyio.h"
#include "oauth/secrets.h"

namespace tessera::server {
namespace {

namespace fs = std::filesystem;
using jose::Json;

Status WriteFile(const fs::path& path, const std::string& data, mode_t mode) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
  f.close();
  if (!f) return Status::Unavailable("cannot write " + path.string());
  ::chmod(path.c_str(), mode);
  return Status::Ok();
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot read " + path.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A name and a secret kept in `file` (mode 0600), so that every start prints the same working
// pair: the saved one when the file holds one, else `name` with a newly generated secret, saved.
Result<std::pair<std::string, std::string>> KeptSecret(const fs::path& file, const char* name_key,
                                                       const char* secret_key,
                                                       const std::string& name) {
  if (Result<std::string> saved = ReadFile(file); saved.ok()) {
    Result<Json> j = jose::ParseStrictJson(*saved);
    if (j.ok() && j->contains(name_key) && j->contains(secret_key) && (*j)[name_key].is_string() &&
        (*j)[secret_key].is_string()) {
      return std::pair{(*j)[name_key].get<std::string>(), (*j)[secret_key].get<std::string>()};
    }
  }
  std::pair<std::string, std::string> kept{name, oauth::GenerateClientSecret()};
  TESSERA_RETURN_IF_ERROR(WriteFile(
      file, jose::DumpCompact({{name_key, kept.first}, {secret_key, kept.second}}), 0600));
  return kept;
}

}  // namespace

Result<DemoSetup> EnsureDemo(oauth::AdminService& admin, store::Store& store,
                             console::ConsoleService* console, const std::string& data_dir,
                             int64_t now, const std::string& bootstrap_admin_id) {
  const oauth::AdminService::Context ctx{"demo", "demo-setup"};
  const fs::path dir = fs::path(data_dir) / "demo";
  std::error_code ec;
  fs::create_directories(dir, ec);
  ::chmod(dir.c_str(), 0700);
  DemoSetup demo;
  demo.key_file = fs::absolute(dir / "demo.key.pem").string();
  demo.cert_file = fs::absolute(dir / "demo.cert.pem").string();
  demo.scope = std::string(kDemoAudience) + kDemoScope;

  // The user.
  if (Result<store::User> u = store.FindUserByName(kDemoUser); !u.ok()) {
    TESSERA_RETURN_IF_ERROR(u.status().code() == StatusCode::kNotFound ? Status::Ok() : u.status());
    oauth::UserFields user;
    user.user_name = kDemoUser;
    user.given_name = "Demo";
    user.family_name = "User";
    user.emails = std::vector<std::string>{"demo.user@example.com"};
    user.active = true;
    TESSERA_RETURN_IF_ERROR(admin.CreateUser(ctx, user).status());
  }

  // The key pair and certificate, made once.
  if (!fs::exists(demo.key_file) || !fs::exists(demo.cert_file)) {
    TESSERA_ASSIGN_OR_RETURN(jose::Key key, jose::GenerateKey(jose::KeyType::kRsa, 2048));
    TESSERA_ASSIGN_OR_RETURN(jose::Certificate cert,
                             jose::MakeSelfSignedCertificate(key, "CN=demo", 365, now));
    TESSERA_ASSIGN_OR_RETURN(std::string pem, jose::PrivateKeyToPem(key));
    TESSERA_RETURN_IF_ERROR(WriteFile(demo.key_file, pem, 0600));
    TESSERA_RETURN_IF_ERROR(WriteFile(demo.cert_file, jose::CertificateToPem(cert), 0644));
  }
  TESSERA_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(demo.cert_file));

  // The resource app, found by its audience.
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::App> apps, store.ListApps(0, 100000));
  bool have_resource = false;
  for (const auto& a : apps)
    have_resource |= a.kind == store::AppKind::kResource && a.audience == kDemoAudience;
  if (!have_resource) {
    oauth::AppFields resource;
    resource.kind = store::AppKind::kResource;
    resource.display_name = "Demo resource";
    resource.audience = kDemoAudience;
    resource.scopes = std::vector<std::string>{kDemoScope};
    TESSERA_ASSIGN_OR_RETURN(oauth::AppWithSecret created, admin.CreateApp(ctx, resource));
    // An inactive resource app grants no scope (contract section 4).
    TESSERA_RETURN_IF_ERROR(admin.SetAppActive(ctx, created.app.id, true).status());
  }

  // The administrator: the configured one, else a demo administrator made once.
  if (!bootstrap_admin_id.empty()) {
    demo.admin_client_id = bootstrap_admin_id;
  } else {
    TESSERA_ASSIGN_OR_RETURN(
        auto kept, KeptSecret(dir / "admin.json", "clientId", "clientSecret", kDemoAdmin));
    demo.admin_client_id = kept.first;
    demo.admin_client_secret = kept.second;
    // Created when absent, and given the kept secret again if the app was changed meanwhile.
    TESSERA_RETURN_IF_ERROR(
        admin.EnsureBootstrapAdmin(demo.admin_client_id, demo.admin_client_secret).status());
  }

  // The console operator, its password kept like the secrets: every start prints a working
  // sign-in. An operator who changed that password in the console keeps the new one (an existing
  // operator is left as it is).
  if (console != nullptr) {
    TESSERA_ASSIGN_OR_RETURN(
        auto kept, KeptSecret(dir / "console.json", "userName", "password", kDemoOperator));
    demo.console_user = kept.first;
    demo.console_password = kept.second;
    TESSERA_RETURN_IF_ERROR(
        console->EnsureBootstrapOperator(demo.console_user, demo.console_password).status());
  }

  // The confidential app; its secret is kept beside the key so every start prints it.
  const fs::path client_file = dir / "client.json";
  if (Result<std::string> saved = ReadFile(client_file); saved.ok()) {
    Result<Json> j = jose::ParseStrictJson(*saved);
    if (j.ok() && j->contains("clientId") && j->contains("clientSecret") &&
        store.FindAppByClientId((*j)["clientId"].get<std::string>()).ok()) {
      demo.client_id = (*j)["clientId"];
      demo.client_secret = (*j)["clientSecret"];
      return demo;
    }
  }
  oauth::AppFields client;
  client.kind = store::AppKind::kConfidential;
  client.display_name = "Demo client";
  client.allowed_grants =
      std::vector<std::string>{oauth::kGrantClientCredentials, oauth::kGrantJwtBearer};
  client.allowed_scopes = std::vector<std::string>{demo.scope};
  client.certificates = std::vector<oauth::CertificateRef>{{kDemoAlias, cert_pem}};
  client.allowed_operations = std::vector<std::string>{"introspect"};
  TESSERA_ASSIGN_OR_RETURN(oauth::AppWithSecret created, admin.CreateApp(ctx, client));
  TESSERA_RETURN_IF_ERROR(admin.SetAppActive(ctx, created.app.id, true).status());
  demo.client_id = created.app.client_id;
  demo.client_secret = created.client_secret;
  TESSERA_RETURN_IF_ERROR(WriteFile(
      client_file,
      jose::DumpCompact({{"clientId", demo.client_id}, {"clientSecret", demo.client_secret}}),
      0600));
  return demo;
}

void PrintDemoCommands(const DemoSetup& d, const std::string& base_url, const std::string& tessera,
                       std::ostream& out) {
  out << "\nDemo ready: user " << kDemoUser << ", resource " << kDemoAudience << ", client "
      << d.client_id << " trusting certificate alias '" << kDemoAlias << "'.\n\n"
      << "1. Sign a user assertion (RFC 7523) with the demo key:\n\n"
      << "  ASSERTION=$(" << tessera << " assert --client-id " << d.client_id << " --sub "
      << kDemoUser << " --key '" << d.key_file << "' --kid " << kDemoAlias << ")\n\n"
      << "2. Exchange it for an access token:\n\n"
      << "  curl -s -X POST " << base_url << "/oauth2/v1/token -u '" << d.client_id << ":"
      << d.client_secret << "' \\\n"
      << "    --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \\\n"
      << "    --data-urlencode \"assertion=$ASSERTION\" \\\n"
      << "    --data-urlencode 'scope=" << d.scope << "'\n\n"
      << "Or the client's own token: curl -s -X POST " << base_url << "/oauth2/v1/token -u '"
      << d.client_id << ":" << d.client_secret << "' -d grant_type=client_credentials\n"
      << "Signing keys: " << base_url << "/admin/v1/SigningCert/jwk\n\n"
      << "Administrator (what `tessera admin` reads from the environment):\n\n"
      << "  export TESSERA_URL=" << base_url << "\n"
      << "  export TESSERA_ADMIN_CLIENT_ID=" << d.admin_client_id << "\n";
  if (d.admin_client_secret.empty()) {
    out << "  export TESSERA_ADMIN_CLIENT_SECRET=...   # the secret this server was started "
           "with\n\n";
  } else {
    out << "  export TESSERA_ADMIN_CLIENT_SECRET=" << d.admin_client_secret << "\n\n";
  }
  out << "Then, e.g.: " << tessera << " admin apps list\n\n";
  if (!d.console_user.empty()) {
    out << "Console: " << base_url << "/console/ (user name " << d.console_user << ", password "
        << d.console_password << ")\n\n";
  }
}

}  // namespace tessera::server

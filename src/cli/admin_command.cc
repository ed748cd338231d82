// `tessera admin ...`: the admin API (contract section 6) from the shell, authenticated with
// --url, --client-id and --client-secret (or --client-secret-file) of an app holding the
// administrator role. Readable
// tables by default, the server's JSON with --json.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/http_fetch.h"
#include "cli/secret_options.h"
#include "common/log_value.h"
#include "jose/base64url.h"
#include "jose/json.h"

namespace tessera::cli {
namespace {

using jose::Json;

struct AdminOptions {
  std::string url, client_id;
  ClientSecretOptions secret;
  bool json = false;
  // Arguments of the leaf commands.
  std::string id, name, user_name, given_name, family_name, email, audience, alias, file, issuer,
      secret_file;
  std::string outcome, filter_client;
  std::vector<std::string> grants, scopes, cert_aliases, operations;
  int count = 50;
};

std::string Cell(const Json& row, const std::string& key) {
  auto it = row.find(key);
  if (it == row.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    std::string out;
    for (const auto& v : *it) {
      if (!out.empty()) out += ",";
      if (v.is_string()) {
        out += v.get<std::string>();
      } else if (v.is_object() && !v.empty()) {
        out += v.begin()->is_string() ? v.begin()->get<std::string>() : v.begin()->dump();
      }
    }
    return out;
  }
  return it->dump();
}

// Server data (audit reasons quote what clients sent) with control bytes escaped, so that a row
// can neither break the table nor drive the terminal (ESC sequences).
std::string TerminalSafe(const std::string& text) {
  std::string out;
  AppendLogLineSafe(text, out);
  return out;
}

// Prints `rows` (objects) as an aligned table of `columns`.
void PrintTable(std::ostream& out, const Json& rows, const std::vector<std::string>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  width.reserve(columns.size());
  for (const auto& c : columns) width.push_back(c.size());
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string v = TerminalSafe(Cell(row, columns[i]));
      if (v.size() > 60) v = v.substr(0, 57) + "...";
      width[i] = std::max(width[i], v.size());
      line.push_back(std::move(v));
    }
    cells.push_back(std::move(line));
  }
  auto print_line = [&](const std::vector<std::string>& line) {
    for (size_t i = 0; i < line.size(); ++i) {
      out << line[i];
      if (i + 1 < line.size()) out << std::string(width[i] - line[i].size() + 2, ' ');
    }
    out << '\n';
  };
  print_line(columns);
  for (const auto& line : cells) print_line(line);
  if (rows.empty()) out << "(none)\n";
}

// Runs one request and prints its answer: a table for list answers, key: value lines otherwise.
Status Show(CommandContext& ctx, const AdminOptions& o, const std::string& method,
            const std::string& path, const Json& body, const std::vector<std::string>& columns) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> secret, o.secret.Resolve());
  if (!secret) {
    return Status::InvalidArgument(
        "give the administrator's secret: --client-secret, --client-secret-file or "
        "TESSERA_ADMIN_CLIENT_SECRET");
  }
  AdminClient client(o.url, o.client_id, *secret);
  TESSERA_ASSIGN_OR_RETURN(Json answer, client.Send(method, path, body));
  std::ostream& out = *ctx.out;
  if (o.json) {
    out << (answer.is_null() ? "{}" : answer.dump(2)) << '\n';
  } else if (answer.is_object() && answer.contains("Resources")) {
    PrintTable(out, answer["Resources"], columns);
  } else if (answer.is_object()) {
    for (auto it = answer.begin(); it != answer.end(); ++it) {
      if (it.key() == "schemas" || it.key() == "meta") continue;
      out << TerminalSafe(it.key()) << ": " << TerminalSafe(Cell(answer, it.key())) << '\n';
    }
  } else {
    out << "done\n";
  }
  return Status::Ok();
}

// Adds a leaf subcommand whose action calls `run` with the shared options.
CLI::App* Leaf(CLI::App* parent, const char* name, const char* help, CommandContext& ctx,
               const std::shared_ptr<AdminOptions>& o,
               const std::function<Status(CommandContext&, AdminOptions&)>& run) {
  CLI::App* cmd = parent->add_subcommand(name, help);
  cmd->callback([&ctx, o, run] { ctx.action = [&ctx, o, run]() { return run(ctx, *o); }; });
  return cmd;
}

Result<std::string> CertificateText(const std::string& path) {
  // The server accepts PEM, DER or base64 of DER; DER is sent as base64.
  TESSERA_ASSIGN_OR_RETURN(std::string data, ReadFileBounded(path, "certificate"));
  if (data.find("-----BEGIN") != std::string::npos) return data;
  return jose::Base64Encode(data);
}

}  // namespace

void RegisterAdminCommand(CLI::App& app, CommandContext& ctx) {
  auto o = std::make_shared<AdminOptions>();
  CLI::App* admin = app.add_subcommand(
      "admin", "Administer users, apps, certificates and keys over the admin API");
  admin->add_option("--url", o->url, "Base URL of the Tessera server")
      ->required()
      ->envname("TESSERA_URL");
  admin->add_option("--client-id", o->client_id, "Client id of an administrator app")
      ->required()
      ->envname("TESSERA_ADMIN_CLIENT_ID");
  AddClientSecretOptions(admin, &o->secret, "Its secret", "TESSERA_ADMIN_CLIENT_SECRET");
  admin->add_flag("--json", o->json, "Print the server's JSON instead of a table");
  admin->require_subcommand(1);
  const std::vector<std::string> user_cols = {"id", "userName", "active"};
  const std::vector<std::string> app_cols = {"id",     "displayName", "name",
                                             "active", "audience",    "allowedGrants"};
  const std::vector<std::string> cert_cols = {"certificateAlias", "x5t", "notAfter"};

  CLI::App* users = admin->add_subcommand("users", "Users")->require_subcommand(1);
  Leaf(users, "list", "List users", ctx, o, [user_cols](auto& c, auto& a) {
    return Show(c, a, "GET", "/admin/v1/Users", nullptr, user_cols);
  });
  CLI::App* uc = Leaf(users, "create", "Create a user", ctx, o, [user_cols](auto& c, auto& a) {
    Json body = {{"userName", a.user_name},
                 {"name", {{"givenName", a.given_name}, {"familyName", a.family_name}}},
                 {"active", true}};
    if (!a.email.empty()) body["emails"] = Json::array({{{"value", a.email}, {"primary", true}}});
    return Show(c, a, "POST", "/admin/v1/Users", body, user_cols);
  });
  uc->add_option("--user-name", o->user_name, "userName (what assertions name in sub)")->required();
  uc->add_option("--given-name", o->given_name, "Given name");
  uc->add_option("--family-name", o->family_name, "Family name");
  uc->add_option("--email", o->email, "Primary e-mail");
  for (const char* verb : {"get", "delete", "activate", "deactivate"}) {
    CLI::App* cmd = Leaf(
        users, verb, "Get, delete, activate or deactivate a user by id", ctx, o,
        [verb, user_cols](auto& c, auto& a) {
          const std::string path = "/admin/v1/Users/" + a.id;
          const std::string v = verb;
          if (v == "get") return Show(c, a, "GET", path, nullptr, user_cols);
          if (v == "delete") return Show(c, a, "DELETE", path, nullptr, user_cols);
          Json patch = {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
                        {"Operations",
                         {{{"op", "replace"}, {"path", "active"}, {"value", v == "activate"}}}}};
          return Show(c, a, "PATCH", path, patch, user_cols);
        });
    cmd->add_option("ID", o->id, "User id")->required();
  }

  CLI::App* apps =
      admin->add_subcommand("apps", "Confidential and resource apps")->require_subcommand(1);
  Leaf(apps, "list", "List apps", ctx, o, [app_cols](auto& c, auto& a) {
    return Show(c, a, "GET", "/admin/v1/Apps", nullptr, app_cols);
  });
  CLI::App* cc =
      Leaf(apps, "create-client",
           "Create a confidential app (inactive until activated); prints its secret once", ctx, o,
           [app_cols](auto& c, auto& a) {
             Json body = {
                 {"displayName", a.name}, {"isOAuthClient", true}, {"clientType", "confidential"}};
             body["allowedGrants"] =
                 a.grants.empty() ? std::vector<std::string>{"client_credentials"} : a.grants;
             Json scopes = Json::array();
             for (const auto& s : a.scopes) scopes.push_back({{"fqs", s}});
             body["allowedScopes"] = scopes;
             Json certs = Json::array();
             for (const auto& alias : a.cert_aliases) certs.push_back({{"certAlias", alias}});
             body["certificates"] = certs;
             body["allowedOperations"] = a.operations;
             return Show(c, a, "POST", "/admin/v1/Apps", body, app_cols);
           });
  cc->add_option("--name", o->name, "Display name")->required();
  cc->add_option("--grant", o->grants,
                 "Allowed grant (repeatable): client_credentials, "
                 "urn:ietf:params:oauth:grant-type:jwt-bearer");
  cc->add_option("--scope", o->scopes, "Allowed fully qualified scope (repeatable)");
  cc->add_option("--cert-alias", o->cert_aliases,
                 "Attach an uploaded client certificate by alias (repeatable)");
  cc->add_option("--operation", o->operations,
                 "Allowed operation (repeatable): introspect, trustToken");
  CLI::App* cr = Leaf(apps, "create-resource", "Create a resource app with scopes", ctx, o,
                      [app_cols](auto& c, auto& a) {
                        Json scopes = Json::array();
                        for (const auto& s : a.scopes) scopes.push_back({{"value", s}});
                        Json body = {{"displayName", a.name},
                                     {"isOAuthResource", true},
                                     {"audience", a.audience},
                                     {"scopes", scopes}};
                        return Show(c, a, "POST", "/admin/v1/Apps", body, app_cols);
                      });
  cr->add_option("--name", o->name, "Display name")->required();
  cr->add_option("--audience", o->audience, "Audience, e.g. https://oic.example.com:443")
      ->required();
  cr->add_option("--scope", o->scopes,
                 "Scope value (repeatable), e.g. urn:opc:resource:consumer::all")
      ->required();
  CLI::App* regen = Leaf(
      apps, "regenerate-secret",
      "Give a confidential app a new client secret (printed once); the old one stops working", ctx,
      o, [](auto& c, auto& a) {
        Json body = {
            {"appId", a.id},
            {"schemas", {"urn:ietf:params:scim:schemas:oracle:idcs:AppClientSecretRegenerator"}}};
        return Show(c, a, "POST", "/admin/v1/AppClientSecretRegenerator", body, {});
      });
  regen->add_option("ID", o->id, "App id")->required();
  for (const char* verb : {"get", "delete", "activate", "deactivate"}) {
    CLI::App* cmd =
        Leaf(apps, verb, "Get, delete, activate or deactivate an app by id", ctx, o,
             [verb, app_cols](auto& c, auto& a) {
               const std::string v = verb;
               if (v == "get")
                 return Show(c, a, "GET", "/admin/v1/Apps/" + a.id, nullptr, app_cols);
               if (v == "delete")
                 return Show(c, a, "DELETE", "/admin/v1/Apps/" + a.id, nullptr, app_cols);
               return Show(c, a, "PUT", "/admin/v1/AppStatusChanger/" + a.id,
                           Json{{"active", v == "activate"}}, app_cols);
             });
    cmd->add_option("ID", o->id, "App id")->required();
  }

  for (const bool partner : {false, true}) {
    const std::string base =
        partner ? "/admin/v1/OAuthPartnerCertificates" : "/admin/v1/OAuthClientCertificates";
    CLI::App* certs =
        admin
            ->add_subcommand(partner ? "partners" : "certs",
                             partner ? "Trusted partner certificates"
                                     : "Client certificates (attached to apps by alias)")
            ->require_subcommand(1);
    Leaf(certs, "list", "List certificates", ctx, o, [base, cert_cols](auto& c, auto& a) {
      return Show(c, a, "GET", base, nullptr, cert_cols);
    });
    CLI::App* up =
        Leaf(certs, "upload", "Upload a certificate (PEM or DER, as keytool -exportcert writes it)",
             ctx, o, [base, cert_cols](auto& c, auto& a) -> Status {
               TESSERA_ASSIGN_OR_RETURN(std::string text, CertificateText(a.file));
               return Show(c, a, "POST", base,
                           Json{{"certificateAlias", a.alias}, {"x509Base64Certificate", text}},
                           cert_cols);
             });
    up->add_option("--alias", o->alias, "Certificate alias (the kid assertions name)")->required();
    up->add_option("--file", o->file, "Certificate file")->required();
    CLI::App* del = Leaf(certs, "delete", "Delete a certificate by alias", ctx, o,
                         [base, cert_cols](auto& c, auto& a) {
                           return Show(c, a, "DELETE", base + "/" + UrlEncodeComponent(a.alias),
                                       nullptr, cert_cols);
                         });
    del->add_option("ALIAS", o->alias, "Certificate alias")->required();
  }

  CLI::App* trust =
      admin->add_subcommand("trust-issuers", "Trust-token issuers")->require_subcommand(1);
  const std::vector<std::string> trust_cols = {"issuer", "algorithm", "certAlias"};
  Leaf(trust, "list", "List trust-token issuers", ctx, o, [trust_cols](auto& c, auto& a) {
    return Show(c, a, "GET", "/admin/v1/TrustTokenIssuers", nullptr, trust_cols);
  });
  CLI::App* add =
      Leaf(trust, "add", "Register an issuer with a shared secret (HS256) or a certificate (RS256)",
           ctx, o, [trust_cols](auto& c, auto& a) -> Status {
             Json body = {{"issuer", a.issuer}};
             if (!a.secret_file.empty()) {
               TESSERA_ASSIGN_OR_RETURN(std::string secret,
                                        ReadFileBounded(a.secret_file, "secret file"));
               if (!secret.empty() && secret.back() == '\n') secret.pop_back();
               body["sharedSecret"] = secret;
             } else {
               TESSERA_ASSIGN_OR_RETURN(std::string text, CertificateText(a.file));
               body["certAlias"] = a.alias;
               body["x509Base64Certificate"] = text;
             }
             return Show(c, a, "POST", "/admin/v1/TrustTokenIssuers", body, trust_cols);
           });
  add->add_option("--issuer", o->issuer, "Issuer name (the iss of its tokens)")->required();
  auto* secret_opt = add->add_option("--secret-file", o->secret_file,
                                     "File holding the HS256 shared secret (>= 32 bytes)");
  auto* cert_opt = add->add_option("--cert", o->file, "Certificate of the RS256 issuer");
  add->add_option("--alias", o->alias, "Alias of that certificate");
  secret_opt->excludes(cert_opt);
  CLI::App* tdel =
      Leaf(trust, "delete", "Delete an issuer", ctx, o, [trust_cols](auto& c, auto& a) {
        return Show(c, a, "DELETE", "/admin/v1/TrustTokenIssuers/" + UrlEncodeComponent(a.issuer),
                    nullptr, trust_cols);
      });
  tdel->add_option("ISSUER", o->issuer, "Issuer name")->required();

  CLI::App* keys = admin->add_subcommand("keys", "Token-signing keys")->require_subcommand(1);
  Leaf(keys, "rotate", "Make a new active signing key; the old one stays published", ctx, o,
       [](auto& c, auto& a) {
         return Show(c, a, "POST", "/admin/v1/SigningKeys/rotate", nullptr, {});
       });
  const std::vector<std::string> key_cols = {"kid",       "alg",          "state",    "createdAt",
                                             "retiredAt", "publishUntil", "revokedAt"};
  Leaf(keys, "list", "List signing keys and their state (active, retired, revoked, expired)", ctx,
       o, [key_cols](auto& c, auto& a) {
         return Show(c, a, "GET", "/admin/v1/SigningKeys", nullptr, key_cols);
       });
  CLI::App* krev = Leaf(
      keys, "revoke",
      "Withdraw a signing key now: out of the JWKS, its tokens refused; the active key is replaced "
      "first",
      ctx, o, [](auto& c, auto& a) {
        return Show(c, a, "POST", "/admin/v1/SigningKeys/" + UrlEncodeComponent(a.id) + "/revoke",
                    nullptr, {});
      });
  krev->add_option("KID", o->id, "Key id (kid)")->required();

  CLI::App* audit =
      Leaf(admin, "audit", "Audit events, newest first", ctx, o, [](auto& c, auto& a) {
        std::string path = "/admin/v1/AuditEvents?count=" + std::to_string(a.count);
        if (!a.filter_client.empty()) path += "&clientId=" + UrlEncodeComponent(a.filter_client);
        if (!a.outcome.empty()) path += "&outcome=" + UrlEncodeComponent(a.outcome);
        return Show(c, a, "GET", path, nullptr,
                    {"time", "ecid", "clientId", "subject", "grant", "outcome", "reason"});
      });
  audit->add_option("--for-client", o->filter_client, "Only events of this client id");
  audit->add_option("--outcome", o->outcome,
                    "Only this outcome (issued, rejected, app.create, ...)");
  audit->add_option("--count", o->count, "How many (default 50)")->check(CLI::Range(1, 1000));
}

}  // namespace tessera::cli

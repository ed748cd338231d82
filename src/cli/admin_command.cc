// `tessera admin ...`: the admin API (contract section 6) from the shell, authenticated with
// --url, --client-id and --client-secret (or --client-secret-file) of an app holding the
// administrator role. Readable
// tables by default, the server's JSON with --json.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <utility>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/http_fetch.h"
#include "cli/secret_options.h"
#include "common/log_value.h"
#include "jose/base64url.h"
#include "jose/claims.h"
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
  std::string outcome, filter_client, filter_reason, filter_grant, since, until;
  std::vector<std::string> grants, scopes, cert_aliases, operations, algs;
  int64_t lifetime = 0;
  bool activate = false, print_env = false;
  bool clear_scopes = false, clear_operations = false;  // apps update: empty the list
  int count = 50;
  // trusts create|update: the fields given as flags (an empty value: not given).
  struct TrustFlags {
    std::string name, issuer, public_key_endpoint, certificate_file, subject_claim, subject_mapping,
        subject_type, client_claim, jti;
    std::vector<std::string> audiences, oauth_clients, client_claim_values, conditions,
        like_conditions, allowed_scopes;
    int64_t max_token_lifetime = 0;
    int64_t clock_skew = -1;
    bool activate = false;
  } trust;
  // Sender constraint (contract section 11): unset leaves the app's setting as it is.
  std::optional<bool> dpop_bound, tls_bound;
  std::optional<std::string> tls_subject_dn, tls_san_dns;
};

// The sender-constraint options given, as app attributes (name, value).
std::vector<std::pair<const char*, Json>> SenderConstraintAttributes(const AdminOptions& a) {
  std::vector<std::pair<const char*, Json>> out;
  if (a.dpop_bound) out.emplace_back("dpopBoundAccessTokens", *a.dpop_bound);
  if (a.tls_bound) out.emplace_back("tlsClientCertificateBoundAccessTokens", *a.tls_bound);
  if (a.tls_subject_dn) out.emplace_back("tlsClientAuthSubjectDn", *a.tls_subject_dn);
  if (a.tls_san_dns) out.emplace_back("tlsClientAuthSanDns", *a.tls_san_dns);
  return out;
}

void AddSenderConstraintOptions(CLI::App* cmd, const std::shared_ptr<AdminOptions>& o) {
  cmd->add_option("--dpop-bound", o->dpop_bound,
                  "true: every token request must carry a DPoP proof (dpopBoundAccessTokens)");
  cmd->add_option("--tls-cert-bound", o->tls_bound,
                  "true: tokens are bound to the client certificate of the request "
                  "(tlsClientCertificateBoundAccessTokens)");
  cmd->add_option("--tls-subject-dn", o->tls_subject_dn,
                  "tls_client_auth: the subject DN the client certificate must show "
                  "(tlsClientAuthSubjectDn; \"\" clears it)");
  cmd->add_option("--tls-san-dns", o->tls_san_dns,
                  "tls_client_auth: a DNS name the client certificate's SAN must hold "
                  "(tlsClientAuthSanDns; \"\" clears it)");
}

// What a person reads in a column: its header and the JSON member it shows.
struct Column {
  std::string label;
  std::string key;
};

// Members never printed in key: value form (bulky, and readable with --json).
bool Hidden(const std::string& key) {
  return key == "schemas" || key == "meta" || key == "x509Base64Certificate";
}

// The header a member is shown under: an app's client id is its SCIM "name".
std::string Label(const Json& answer, const std::string& key) {
  if (key == "name" && (answer.contains("isOAuthClient") || answer.contains("appId")))
    return "clientId";
  return key;
}

bool IsTimeColumn(const std::string& key) {
  return key == "createdAt" || key == "retiredAt" || key == "publishUntil" || key == "revokedAt";
}

std::string Cell(const Json& row, const std::string& key) {
  auto it = row.find(key);
  if (it == row.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (IsTimeColumn(key) && it->is_number_integer())
    return jose::FormatNumericDate(it->get<int64_t>());
  if (it->is_array()) {
    std::string out;
    for (const auto& v : *it) {
      if (!out.empty()) out += ",";
      if (v.is_string()) {
        out += v.get<std::string>();
      } else if (v.is_object() && !v.empty()) {
        // IDCS multi-valued entries: {"value":..,"primary":..}, {"fqs":..}, {"certAlias":..}.
        const Json* shown = &*v.begin();
        for (const char* member : {"value", "fqs", "certAlias", "certificateAlias"}) {
          if (auto m = v.find(member); m != v.end()) {
            shown = &*m;
            break;
          }
        }
        out += shown->is_string() ? shown->get<std::string>() : shown->dump();
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
void PrintTable(std::ostream& out, const Json& rows, const std::vector<Column>& columns) {
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> width;
  std::vector<std::string> header;
  width.reserve(columns.size());
  header.reserve(columns.size());
  for (const auto& c : columns) {
    width.push_back(c.label.size());
    header.push_back(c.label);
  }
  for (const auto& row : rows) {
    std::vector<std::string> line;
    for (size_t i = 0; i < columns.size(); ++i) {
      std::string v = TerminalSafe(Cell(row, columns[i].key));
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
  print_line(header);
  for (const auto& line : cells) print_line(line);
  if (rows.empty()) out << "(none)\n";
}

Result<AdminClient> Connect(const AdminOptions& o) {
  TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> secret, o.secret.Resolve());
  if (!secret) {
    return Status::InvalidArgument(
        "give the administrator's secret: --client-secret, --client-secret-file or "
        "TESSERA_ADMIN_CLIENT_SECRET");
  }
  return AdminClient(o.url, o.client_id, *secret);
}

// Prints an answer: a table for list answers, key: value lines otherwise.
void Print(CommandContext& ctx, const AdminOptions& o, const Json& answer,
           const std::vector<Column>& columns) {
  std::ostream& out = *ctx.out;
  if (o.json) {
    out << (answer.is_null() ? "{}" : answer.dump(2)) << '\n';
  } else if (answer.is_object() && answer.contains("Resources")) {
    PrintTable(out, answer["Resources"], columns);
  } else if (answer.is_object()) {
    for (auto it = answer.begin(); it != answer.end(); ++it) {
      if (Hidden(it.key())) continue;
      out << TerminalSafe(Label(answer, it.key())) << ": " << TerminalSafe(Cell(answer, it.key()))
          << '\n';
    }
  } else {
    out << "done\n";
  }
}

// Runs one request and prints its answer.
Status Show(CommandContext& ctx, const AdminOptions& o, const std::string& method,
            const std::string& path, const Json& body, const std::vector<Column>& columns) {
  TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(o));
  TESSERA_ASSIGN_OR_RETURN(Json answer, client.Send(method, path, body));
  Print(ctx, o, answer, columns);
  return Status::Ok();
}

Json PatchOp(Json operations) {
  return Json{{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
              {"Operations", std::move(operations)}};
}

// Single-quoted for a POSIX shell.
std::string ShellQuote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// --since/--until: seconds since the epoch, a UTC date-time (2026-12-06T16:00:00Z, or a date),
// or an age (90s, 15m, 2h, 7d) meaning that long ago.
Result<int64_t> ParseWhen(const std::string& flag, const std::string& text, int64_t now) {
  const auto bad = [&] {
    return Status::InvalidArgument(flag + " '" + text.substr(0, 64) +
                                   "': give seconds since the epoch, a UTC date-time "
                                   "(2026-12-06T16:00:00Z or 2026-12-06), or an age (90s, 15m, "
                                   "2h, 7d)");
  };
  if (text.empty()) return bad();
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (text.size() > 12) return bad();
    return std::stoll(text);
  }
  const char unit = text.back();
  const std::string digits = text.substr(0, text.size() - 1);
  if (!digits.empty() && digits.size() <= 9 &&
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const int64_t n = std::stoll(digits);
    switch (unit) {
      case 's':
        return now - n;
      case 'm':
        return now - n * 60;
      case 'h':
        return now - n * 3600;
      case 'd':
        return now - n * 86400;
      default:
        return bad();
    }
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char z = 0;
  int fields = 0;
  if (text.size() == 10) {
    fields = std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &mo, &d);
    if (fields != 3) return bad();
  } else if (text.size() == 20) {
    fields = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &z);
    if (fields != 7 || z != 'Z') return bad();
  } else {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return bad();
  // Days from civil (H. Hinnant's algorithm), so that no time zone is involved.
  const int yy = y - (mo <= 2);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = static_cast<int64_t>(era) * 146097 + static_cast<int64_t>(doe) - 719468;
  return days * 86400 + h * 3600 + mi * 60 + se;
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

// A trust file: one JSON object (as `tessera admin trusts get|create ID --json` prints it; the
// "warnings" of a create's answer are dropped, being the server's, not an attribute).
Result<Json> ReadTrustFile(const std::string& path) {
  TESSERA_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(path, "trust file"));
  Result<Json> j = jose::ParseStrictJson(text, {1 << 20, 16});
  if (!j.ok()) return Status::InvalidArgument(path + " is not JSON: " + j.status().message());
  if (!j->is_object()) return Status::InvalidArgument(path + " must hold one JSON object");
  j->erase("warnings");
  return j;
}

// --condition CLAIM=VALUE (repeatable; values of one claim form one "in" list) and
// --condition-like CLAIM=GLOB, as the trust's "conditions".
Result<Json> Conditions(const std::vector<std::string>& in, const std::vector<std::string>& like) {
  Json out = Json::array();
  auto split = [](const std::string& flag,
                  const std::string& text) -> Result<std::pair<std::string, std::string>> {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument(flag + " '" + text.substr(0, 64) + "': give CLAIM=VALUE");
    }
    return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
  };
  for (const std::string& c : in) {
    TESSERA_ASSIGN_OR_RETURN(auto kv, split("--condition", c));
    auto same =
        std::find_if(out.begin(), out.end(), [&](const Json& e) { return e["claim"] == kv.first; });
    if (same != out.end()) {
      (*same)["in"].push_back(kv.second);
    } else {
      out.push_back({{"claim", kv.first}, {"in", Json::array({kv.second})}});
    }
  }
  for (const std::string& c : like) {
    TESSERA_ASSIGN_OR_RETURN(auto kv, split("--condition-like", c));
    out.push_back({{"claim", kv.first}, {"like", kv.second}});
  }
  return out;
}

// Sets in `body` each trust field given as a flag.
Status ApplyTrustFlags(const AdminOptions& a, Json& body) {
  const AdminOptions::TrustFlags& f = a.trust;
  auto text = [&body](const char* key, const std::string& v) {
    if (!v.empty()) body[key] = v;
  };
  auto list = [&body](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) body[key] = v;
  };
  text("name", f.name);
  text("issuer", f.issuer);
  text("publicKeyEndpoint", f.public_key_endpoint);
  if (!f.certificate_file.empty()) {
    TESSERA_ASSIGN_OR_RETURN(body["publicCertificate"], CertificateText(f.certificate_file));
  }
  text("subjectClaimName", f.subject_claim);
  text("subjectMappingAttribute", f.subject_mapping);
  text("subjectType", f.subject_type);
  text("clientClaimName", f.client_claim);
  text("jti", f.jti);
  list("audiences", f.audiences);
  list("oauthClients", f.oauth_clients);
  list("clientClaimValues", f.client_claim_values);
  list("allowedScopes", f.allowed_scopes);
  if (!f.conditions.empty() || !f.like_conditions.empty()) {
    TESSERA_ASSIGN_OR_RETURN(body["conditions"], Conditions(f.conditions, f.like_conditions));
  }
  if (f.max_token_lifetime != 0) body["maxTokenLifetime"] = f.max_token_lifetime;
  if (f.clock_skew >= 0) body["clockSkewSeconds"] = f.clock_skew;
  if (f.activate) body["active"] = true;
  return Status::Ok();
}

void AddTrustFlags(CLI::App* cmd, AdminOptions& o) {
  AdminOptions::TrustFlags& f = o.trust;
  cmd->add_option("--file", o.file,
                  "A trust as JSON (IdentityPropagationTrust attributes); flags override its "
                  "fields");
  cmd->add_option("--name", f.name, "Name (unique)");
  cmd->add_option("--issuer", f.issuer, "The exact iss of the outside tokens");
  cmd->add_option("--public-key-endpoint", f.public_key_endpoint,
                  "The issuer's JWK Set URL (https; http only on loopback); neither this nor "
                  "--public-certificate: OpenID Connect discovery at the issuer");
  cmd->add_option("--public-certificate", f.certificate_file,
                  "File of the issuer's certificate (PEM or DER)");
  cmd->add_option("--audience", f.audiences, "Accepted aud value (repeatable)");
  cmd->add_option("--oauth-client", f.oauth_clients,
                  "Client id of an app that may present the tokens (repeatable)");
  cmd->add_option("--condition", f.conditions,
                  "CLAIM=VALUE: the claim must equal one of its values (repeatable; values of "
                  "one claim form one list)");
  cmd->add_option("--condition-like", f.like_conditions,
                  "CLAIM=GLOB: the claim must match the glob, * and ? (repeatable)");
  cmd->add_option("--subject-claim", f.subject_claim, "Claim holding the subject (default sub)");
  cmd->add_option("--subject-mapping", f.subject_mapping,
                  "User attribute the subject names: userName (default), email or id");
  cmd->add_option("--subject-type", f.subject_type, "User (default) or App");
  cmd->add_option("--client-claim", f.client_claim,
                  "Claim naming the outside token's client (azp, client_id, ...)");
  cmd->add_option("--client-claim-value", f.client_claim_values,
                  "Accepted value of that claim (repeatable)");
  cmd->add_option("--allowed-scope", f.allowed_scopes,
                  "Fully qualified scope the issued tokens may carry (repeatable)");
  cmd->add_option("--max-token-lifetime", f.max_token_lifetime,
                  "Longest lifetime of an issued token, seconds (60 to 31556952)");
  cmd->add_option("--clock-skew", f.clock_skew, "Leeway on exp, nbf, iat: 0 to 300 seconds");
  cmd->add_option("--jti", f.jti, "required (default) or reuse-until-exp");
  cmd->add_flag("--activate", f.activate, "Make the trust active");
}

// Sends a trust creation or change and prints the answer; the server's warnings go to stderr,
// one line each.
Status ShowTrust(CommandContext& ctx, const AdminOptions& o, const std::string& method,
                 const std::string& path, const Json& body, const std::vector<Column>& columns) {
  TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(o));
  TESSERA_ASSIGN_OR_RETURN(Json answer, client.Send(method, path, body));
  Json warnings = Json::array();
  if (answer.is_object() && answer.contains("warnings")) {
    warnings = answer["warnings"];
    if (!o.json) answer.erase("warnings");
  }
  Print(ctx, o, answer, columns);
  for (const Json& w : warnings) {
    if (w.is_string()) *ctx.err << "warning: " << TerminalSafe(w.get<std::string>()) << '\n';
  }
  return Status::Ok();
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
  const std::vector<Column> user_cols = {
      {"id", "id"}, {"userName", "userName"}, {"active", "active"}};
  const std::vector<Column> app_cols = {
      {"id", "id"},         {"clientId", "name"},     {"displayName", "displayName"},
      {"active", "active"}, {"audience", "audience"}, {"allowedGrants", "allowedGrants"}};
  const std::vector<Column> cert_cols = {{"alias", "certificateAlias"},
                                         {"thumbprint", "x5t"},
                                         {"notAfter", "notAfter"},
                                         {"usedBy", "usedBy"},
                                         {"lastUsed", "lastUsed"}};

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
  CLI::App* cc = Leaf(
      apps, "create-client",
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
        if (a.lifetime != 0) body["accessTokenExpiry"] = a.lifetime;
        if (!a.algs.empty()) body["assertionAlgorithms"] = a.algs;
        for (auto& [name, value] : SenderConstraintAttributes(a)) body[name] = value;
        TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(a));
        TESSERA_ASSIGN_OR_RETURN(Json created, client.Send("POST", "/admin/v1/Apps", body));
        const std::string id = created.value("id", std::string());
        if (a.activate) {
          TESSERA_ASSIGN_OR_RETURN(
              Json status,
              client.Send("PUT", "/admin/v1/AppStatusChanger/" + id, Json{{"active", true}}));
          created["active"] = status.value("active", false);
        }
        if (a.print_env) {
          *c.out << "APP_ID=" << ShellQuote(id) << "\n"
                 << "CLIENT_ID=" << ShellQuote(created.value("name", std::string())) << "\n"
                 << "CLIENT_SECRET=" << ShellQuote(created.value("clientSecret", std::string()))
                 << "\n";
        } else {
          Print(c, a, created, app_cols);
        }
        if (!a.activate) {
          // New apps are inactive: until activated, the token endpoint answers a bare
          // invalid_client (contract section 2), so say what comes next.
          *c.err << "The app is inactive: its token requests fail with invalid_client until "
                    "you run:\n  tessera admin apps activate "
                 << id << "\n";
        }
        return Status::Ok();
      });
  cc->add_option("--name", o->name, "Display name")->required();
  cc->add_option("--grant", o->grants,
                 "Allowed grant (repeatable): client_credentials, "
                 "urn:ietf:params:oauth:grant-type:jwt-bearer, "
                 "urn:ietf:params:oauth:grant-type:token-exchange");
  cc->add_option("--scope", o->scopes, "Allowed fully qualified scope (repeatable)");
  cc->add_option("--cert-alias", o->cert_aliases,
                 "Attach an uploaded client certificate by alias (repeatable)");
  cc->add_option("--operation", o->operations,
                 "Allowed operation (repeatable): introspect, trustToken");
  cc->add_option("--lifetime", o->lifetime,
                 "Access-token lifetime in seconds (accessTokenExpiry, 60 to 31556952)");
  cc->add_option("--alg", o->algs,
                 "Allowed assertion algorithm (repeatable): RS256, PS256, ES256, EdDSA");
  AddSenderConstraintOptions(cc, o);
  cc->add_flag("--activate", o->activate, "Activate the app at once");
  cc->add_flag("--print-env", o->print_env,
               "Print APP_ID, CLIENT_ID and CLIENT_SECRET as shell assignments (for eval)");

  CLI::App* upd = Leaf(
      apps, "update",
      "Change a confidential app: only what is given is replaced (grants, scopes, lifetime, "
      "algorithms, operations, name)",
      ctx, o, [app_cols](auto& c, auto& a) -> Status {
        Json ops = Json::array();
        auto replace = [&ops](const char* path, Json value) {
          ops.push_back({{"op", "replace"}, {"path", path}, {"value", std::move(value)}});
        };
        if (!a.name.empty()) replace("displayName", a.name);
        if (!a.grants.empty()) replace("allowedGrants", a.grants);
        if (a.clear_scopes && !a.scopes.empty()) {
          return Status::InvalidArgument("--scope and --clear-scopes: give one of them");
        }
        if (a.clear_operations && !a.operations.empty()) {
          return Status::InvalidArgument("--operation and --clear-operations: give one of them");
        }
        if (a.clear_scopes) replace("allowedScopes", Json::array());
        if (a.clear_operations) replace("allowedOperations", Json::array());
        if (!a.scopes.empty()) {
          Json scopes = Json::array();
          for (const auto& s : a.scopes) scopes.push_back({{"fqs", s}});
          replace("allowedScopes", scopes);
        }
        if (a.lifetime != 0) replace("accessTokenExpiry", a.lifetime);
        if (!a.algs.empty()) replace("assertionAlgorithms", a.algs);
        if (!a.operations.empty()) replace("allowedOperations", a.operations);
        for (auto& [name, value] : SenderConstraintAttributes(a)) replace(name, value);
        if (ops.empty()) {
          return Status::InvalidArgument(
              "nothing to update: give --grant, --scope, --clear-scopes, --lifetime, --alg, "
              "--operation, --clear-operations, --dpop-bound, --tls-cert-bound, "
              "--tls-subject-dn, --tls-san-dns or --name");
        }
        return Show(c, a, "PATCH", "/admin/v1/Apps/" + a.id, PatchOp(ops), app_cols);
      });
  upd->add_option("ID", o->id, "App id")->required();
  upd->add_option("--name", o->name, "New display name");
  upd->add_option("--grant", o->grants,
                  "Allowed grant (repeatable; replaces the list): client_credentials, "
                  "urn:ietf:params:oauth:grant-type:jwt-bearer, "
                  "urn:ietf:params:oauth:grant-type:token-exchange");
  upd->add_option("--scope", o->scopes,
                  "Allowed fully qualified scope (repeatable; replaces the list)");
  upd->add_option("--lifetime", o->lifetime,
                  "Access-token lifetime in seconds (accessTokenExpiry, 60 to 31556952)");
  upd->add_option("--alg", o->algs,
                  "Allowed assertion algorithm (repeatable; replaces the list): RS256, PS256, "
                  "ES256, EdDSA");
  upd->add_option("--operation", o->operations,
                  "Allowed operation (repeatable; replaces the list): introspect, trustToken");
  upd->add_flag("--clear-scopes", o->clear_scopes,
                "Empty the allowed scopes (the app may then request none)");
  upd->add_flag("--clear-operations", o->clear_operations,
                "Empty the allowed operations (no introspection, no trust tokens)");
  AddSenderConstraintOptions(upd, o);

  CLI::App* attach = Leaf(
      apps, "attach-cert",
      "Trust an uploaded client certificate for this app: assertions may then name it by kid", ctx,
      o, [app_cols](auto& c, auto& a) {
        // RFC 7644 3.5.2.1: "add" to a multi-valued attribute appends (the server drops repeats).
        Json ops = Json::array(
            {{{"op", "add"}, {"path", "certificates"}, {"value", {{{"certAlias", a.alias}}}}}});
        return Show(c, a, "PATCH", "/admin/v1/Apps/" + a.id, PatchOp(ops), app_cols);
      });
  attach->add_option("ID", o->id, "App id")->required();
  attach->add_option("--alias", o->alias, "Alias of an uploaded client certificate")->required();
  CLI::App* detach = Leaf(
      apps, "detach-cert",
      "Stop trusting a certificate for this app (it stays uploaded for the apps that use it)", ctx,
      o, [app_cols](auto& c, auto& a) -> Status {
        TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(a));
        TESSERA_ASSIGN_OR_RETURN(Json app, client.Send("GET", "/admin/v1/Apps/" + a.id));
        Json kept = Json::array();
        bool found = false;
        std::string attached;
        for (const auto& cert : app.value("certificates", Json::array())) {
          const std::string alias = cert.value("certAlias", std::string());
          if (alias == a.alias) {
            found = true;
          } else {
            kept.push_back({{"certAlias", alias}});
          }
          attached += (attached.empty() ? "" : ", ") + alias;
        }
        if (!found) {
          return Status::NotFound("certificate alias '" + a.alias + "' is not attached to app " +
                                  a.id + " (attached: " + (attached.empty() ? "none" : attached) +
                                  ")");
        }
        Json ops = Json::array({{{"op", "replace"}, {"path", "certificates"}, {"value", kept}}});
        TESSERA_ASSIGN_OR_RETURN(Json updated,
                                 client.Send("PATCH", "/admin/v1/Apps/" + a.id, PatchOp(ops)));
        Print(c, a, updated, app_cols);
        return Status::Ok();
      });
  detach->add_option("ID", o->id, "App id")->required();
  detach->add_option("--alias", o->alias, "Alias to detach")->required();
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
    Leaf(certs, "list",
         partner ? "List partner certificates"
                 : "List client certificates: not-after, the apps that trust each alias, and when "
                   "it last verified an assertion",
         ctx, o, [base, cert_cols, partner](auto& c, auto& a) -> Status {
           TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(a));
           TESSERA_ASSIGN_OR_RETURN(Json list, client.Send("GET", base));
           if (!partner && list.contains("Resources")) {
             TESSERA_ASSIGN_OR_RETURN(Json apps, client.Send("GET", "/admin/v1/Apps?count=1000"));
             for (auto& cert : list["Resources"]) {
               Json used = Json::array();
               for (const auto& app : apps.value("Resources", Json::array())) {
                 for (const auto& att : app.value("certificates", Json::array())) {
                   if (att.value("certAlias", std::string()) ==
                       cert.value("certificateAlias", std::string()))
                     used.push_back(app.value("name", app.value("id", std::string())));
                 }
               }
               cert["usedBy"] = used;
               if (!cert.contains("lastUsed")) cert["lastUsed"] = "never";
             }
           }
           Print(c, a, list, cert_cols);
           return Status::Ok();
         });
    CLI::App* up = Leaf(
        certs, "upload", "Upload a certificate (PEM or DER, as keytool -exportcert writes it)", ctx,
        o, [base, cert_cols](auto& c, auto& a) -> Status {
          TESSERA_ASSIGN_OR_RETURN(std::string text, CertificateText(a.file));
          TESSERA_RETURN_IF_ERROR(Show(
              c, a, "POST", base,
              Json{{"certificateAlias", a.alias}, {"x509Base64Certificate", text}}, cert_cols));
          if (base == "/admin/v1/OAuthClientCertificates" && !a.json) {
            *c.err << "Uploaded. An app trusts it once attached:\n  tessera admin apps "
                      "attach-cert APP_ID --alias "
                   << a.alias << "\n";
          }
          return Status::Ok();
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
  const std::vector<Column> trust_cols = {
      {"issuer", "issuer"}, {"algorithm", "algorithm"}, {"certAlias", "certAlias"}};
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

  // Federation trusts (contract section 10): which outside issuers' tokens may be exchanged.
  CLI::App* trusts = admin
                         ->add_subcommand("trusts",
                                          "Federation trusts: outside issuers whose tokens may be "
                                          "exchanged (IdentityPropagationTrusts)")
                         ->require_subcommand(1);
  const std::vector<Column> fed_cols = {{"id", "id"},
                                        {"name", "name"},
                                        {"issuer", "issuer"},
                                        {"active", "active"},
                                        {"subjectType", "subjectType"},
                                        {"oauthClients", "oauthClients"}};
  const std::string fed_base = "/admin/v1/IdentityPropagationTrusts";
  CLI::App* tlist = Leaf(
      trusts, "list", "List federation trusts", ctx, o, [fed_cols, fed_base](auto& c, auto& a) {
        std::string path = fed_base;
        if (!a.issuer.empty()) {
          path += "?filter=" + UrlEncodeComponent("issuer eq \"" + a.issuer + "\"");
        }
        return Show(c, a, "GET", path, nullptr, fed_cols);
      });
  tlist->add_option("--issuer", o->issuer, "Only the trusts of this exact issuer");
  CLI::App* tcreate =
      Leaf(trusts, "create",
           "Create a trust (inactive unless --activate) from --file and/or the flags; prints the "
           "server's warnings on stderr",
           ctx, o, [fed_cols, fed_base](auto& c, auto& a) -> Status {
             Json body = Json::object();
             if (!a.file.empty()) {
               TESSERA_ASSIGN_OR_RETURN(body, ReadTrustFile(a.file));
             }
             TESSERA_RETURN_IF_ERROR(ApplyTrustFlags(a, body));
             return ShowTrust(c, a, "POST", fed_base, body, fed_cols);
           });
  AddTrustFlags(tcreate, *o);
  CLI::App* tupdate = Leaf(
      trusts, "update",
      "Change a trust: the attributes of --file and the flags given replace the stored ones; the "
      "whole trust is validated again",
      ctx, o, [fed_cols, fed_base](auto& c, auto& a) -> Status {
        Json body = Json::object();
        if (!a.file.empty()) {
          TESSERA_ASSIGN_OR_RETURN(body, ReadTrustFile(a.file));
        }
        TESSERA_RETURN_IF_ERROR(ApplyTrustFlags(a, body));
        body.erase("schemas");
        body.erase("id");
        body.erase("meta");
        if (body.empty()) {
          return Status::InvalidArgument("nothing to update: give --file or a field's flag");
        }
        // RFC 7644 3.5.2.3: a replace without a path sets each attribute of the value.
        Json ops = Json::array({{{"op", "replace"}, {"value", body}}});
        return ShowTrust(c, a, "PATCH", fed_base + "/" + UrlEncodeComponent(a.id), PatchOp(ops),
                         fed_cols);
      });
  tupdate->add_option("ID", o->id, "Trust id")->required();
  AddTrustFlags(tupdate, *o);
  for (const char* verb : {"get", "delete", "activate", "deactivate"}) {
    CLI::App* cmd = Leaf(
        trusts, verb, "Get, delete, activate or deactivate a trust by id", ctx, o,
        [verb, fed_cols, fed_base](auto& c, auto& a) {
          const std::string v = verb;
          const std::string path = fed_base + "/" + UrlEncodeComponent(a.id);
          if (v == "get") return Show(c, a, "GET", path, nullptr, fed_cols);
          if (v == "delete") return Show(c, a, "DELETE", path, nullptr, fed_cols);
          Json ops =
              Json::array({{{"op", "replace"}, {"path", "active"}, {"value", v == "activate"}}});
          return ShowTrust(c, a, "PATCH", path, PatchOp(ops), fed_cols);
        });
    cmd->add_option("ID", o->id, "Trust id")->required();
  }

  CLI::App* keys = admin->add_subcommand("keys", "Token-signing keys")->require_subcommand(1);
  Leaf(keys, "rotate", "Make a new active signing key; the old one stays published", ctx, o,
       [](auto& c, auto& a) {
         return Show(c, a, "POST", "/admin/v1/SigningKeys/rotate", nullptr, {});
       });
  const std::vector<Column> key_cols = {{"kid", "kid"},           {"alg", "alg"},
                                        {"state", "state"},       {"created", "createdAt"},
                                        {"retired", "retiredAt"}, {"publishUntil", "publishUntil"},
                                        {"revoked", "revokedAt"}};
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

  Leaf(admin, "export",
       "Print the whole domain as JSON (apps, resource apps, certificates, partners, users, "
       "trust-token issuers, federation trusts); secrets appear as {\"secretRef\": ...} to be "
       "supplied on import",
       ctx, o, [](auto& c, auto& a) -> Status {
         TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(a));
         TESSERA_ASSIGN_OR_RETURN(Json domain, client.Send("GET", "/admin/v1/DomainExport"));
         *c.out << domain.dump(2) << '\n';
         return Status::Ok();
       });
  CLI::App* imp = Leaf(
      admin, "import",
      "Make the server match a domain file from export: creates what is missing, changes what "
      "differs, deletes nothing; validated whole first, so a refusal changes nothing",
      ctx, o, [](auto& c, auto& a) -> Status {
        TESSERA_ASSIGN_OR_RETURN(std::string text, ReadFileBounded(a.file, "domain file"));
        Result<Json> domain = jose::ParseStrictJson(text, {1 << 20, 32});
        if (!domain.ok())
          return Status::InvalidArgument(a.file + " is not JSON: " + domain.status().message());
        Json body = {{"domain", *domain}, {"dryRun", a.activate}};
        if (!a.secret_file.empty()) {
          TESSERA_ASSIGN_OR_RETURN(std::string st, ReadFileBounded(a.secret_file, "secrets file"));
          Result<Json> secrets = jose::ParseStrictJson(st, {1 << 20, 8});
          if (!secrets.ok() || !secrets->is_object())
            return Status::InvalidArgument(a.secret_file +
                                           " must be a JSON object of secret reference -> secret");
          body["secrets"] = *secrets;
        }
        TESSERA_ASSIGN_OR_RETURN(AdminClient client, Connect(a));
        TESSERA_ASSIGN_OR_RETURN(Json answer, client.Send("POST", "/admin/v1/DomainImport", body));
        if (a.json) {
          *c.out << answer.dump(2) << '\n';
          return Status::Ok();
        }
        for (const auto& step : answer.value("plan", Json::array())) {
          std::string changes;
          for (const auto& ch : step.value("changes", Json::array()))
            changes += (changes.empty() ? "" : ", ") + ch.get<std::string>();
          *c.out << TerminalSafe(step.value("action", std::string())) << ' '
                 << TerminalSafe(step.value("kind", std::string())) << ' '
                 << TerminalSafe(step.value("name", std::string()))
                 << (changes.empty() ? "" : " (" + TerminalSafe(changes) + ")") << '\n';
        }
        *c.out << answer.value("created", 0) << " to create, " << answer.value("updated", 0)
               << " to update, " << answer.value("unchanged", 0) << " unchanged"
               << (a.activate ? " (dry run: nothing written)" : ": applied") << '\n';
        return Status::Ok();
      });
  imp->add_option("FILE", o->file, "Domain file written by tessera admin export")->required();
  imp->add_flag("--dry-run", o->activate, "Print the plan only; write nothing");
  imp->add_option("--secrets", o->secret_file,
                  "JSON file of secret reference -> secret (\"app:<client id>\", "
                  "\"issuer:<issuer>\"), needed for the records to create");

  CLI::App* audit =
      Leaf(admin, "audit", "Audit events, newest first", ctx, o, [](auto& c, auto& a) {
        std::string path = "/admin/v1/AuditEvents?count=" + std::to_string(a.count);
        if (!a.filter_client.empty()) path += "&clientId=" + UrlEncodeComponent(a.filter_client);
        if (!a.outcome.empty()) path += "&outcome=" + UrlEncodeComponent(a.outcome);
        if (!a.filter_reason.empty()) path += "&reason=" + UrlEncodeComponent(a.filter_reason);
        if (!a.filter_grant.empty()) path += "&grant=" + UrlEncodeComponent(a.filter_grant);
        const int64_t now = c.clock->NowSeconds();
        if (!a.since.empty()) {
          TESSERA_ASSIGN_OR_RETURN(int64_t since, ParseWhen("--since", a.since, now));
          path += "&since=" + std::to_string(since);
        }
        if (!a.until.empty()) {
          TESSERA_ASSIGN_OR_RETURN(int64_t until, ParseWhen("--until", a.until, now));
          path += "&until=" + std::to_string(until);
        }
        return Show(c, a, "GET", path, nullptr,
                    {{"time", "time"},
                     {"ecid", "ecid"},
                     {"clientId", "clientId"},
                     {"subject", "subject"},
                     {"grant", "grant"},
                     {"outcome", "outcome"},
                     {"reason", "reason"}});
      });
  audit->add_option("--for-client", o->filter_client, "Only events of this client id");
  audit->add_option("--outcome", o->outcome,
                    "Only this outcome (issued, rejected, app.create, ...)");
  audit->add_option("--reason", o->filter_reason,
                    "Only refusals with this reason code (bad_client_secret, ...): the code "
                    "exactly, never a word of the detail");
  audit->add_option("--grant", o->filter_grant,
                    "Only events of this grant (client_credentials, "
                    "urn:ietf:params:oauth:grant-type:jwt-bearer, ...)");
  audit->add_option("--count", o->count, "How many (default 50)")->check(CLI::Range(1, 1000));
  audit->add_option("--since", o->since,
                    "Only events at or after: epoch seconds, 2026-12-06T16:00:00Z, or an age "
                    "(15m, 2h, 7d)");
  audit->add_option("--until", o->until, "Only events at or before (same forms as --since)");
}

}  // namespace tessera::cli

// Demo mode (`tessera serve --demo`): creates, once, a user, a resource app, a key pair with its
// certificate, an active confidential app trusting that certificate by alias and, unless a
// bootstrap administrator is configured, an administrator app; then prints the administrator's
// credentials as shell exports and the exact commands that obtain a token.
//
// Unless a console operator is configured (TESSERA_CONSOLE_USER), it also makes a console operator,
// "demo.operator", so the console at /console/ can be signed in to at once.
//
// The demo client's, demo administrator's and demo operator's secrets are kept in
// <data_dir>/demo/client.json, admin.json and console.json (mode 0600) so that every start can
// print working commands; a production app's secret or operator's password is never kept anywhere.
#ifndef TESSERA_SERVER_DEMO_H_
#define TESSERA_SERVER_DEMO_H_

#include <ostream>
#include <string>

#include "console/console_service.h"
#include "oauth/admin_service.h"
#include "store/store.h"

namespace tessera::server {

struct DemoSetup {
  std::string client_id;
  std::string client_secret;
  // The administrator `tessera admin` uses: the bootstrap one when TESSERA_ADMIN_CLIENT_ID was
  // set (its secret is then the operator's, never printed: admin_client_secret is empty), else a
  // demo administrator made once, whose secret is kept like the client's.
  std::string admin_client_id;
  std::string admin_client_secret;
  std::string key_file;
  std::string cert_file;
  std::string scope;  // the fully qualified demo scope
  // The demo console operator and its password; empty when an operator was configured.
  std::string console_user;
  std::string console_password;
};

inline constexpr char kDemoUser[] = "demo.user";
inline constexpr char kDemoAudience[] = "https://demo.example.com:443";
inline constexpr char kDemoScope[] = "urn:opc:resource:consumer::all";
inline constexpr char kDemoAlias[] = "demo";
inline constexpr char kDemoAdmin[] = "demo-admin";
inline constexpr char kDemoOperator[] = "demo.operator";

// `bootstrap_admin_id`: the client id of the bootstrap administrator, or empty when none was
// configured (then the demo makes its own administrator, "demo-admin"). `console`: where to make
// the demo console operator, or nullptr when an operator was configured (none is made then).
Result<DemoSetup> EnsureDemo(oauth::AdminService& admin, store::Store& store,
                             console::ConsoleService* console, const std::string& data_dir,
                             int64_t now, const std::string& bootstrap_admin_id);

// The commands a newcomer pastes: sign an assertion, exchange it for a token.
void PrintDemoCommands(const DemoSetup& demo, const std::string& base_url,
                       const std::string& tessera_path, std::ostream& out);

}  // namespace tessera::server

#endif  // TESSERA_SERVER_DEMO_H_

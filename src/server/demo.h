// Demo mode (`tessera serve --demo`): creates, once, a user, a resource app, a key pair with its
// certificate, an active confidential app trusting that certificate by alias and, unless a
// bootstrap administrator is configured, an administrator app; then prints the administrator's
// credentials as shell exports and the exact commands that obtain a token.
//
// The demo client's and demo administrator's secrets are kept in <data_dir>/demo/client.json and
// admin.json (mode 0600) so that every start can print working commands; a production app's secret
// is never kept anywhere.
#ifndef TESSERA_SERVER_DEMO_H_
#define TESSERA_SERVER_DEMO_H_

#include <ostream>
#include <string>

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
};

inline constexpr char kDemoUser[] = "demo.user";
inline constexpr char kDemoAudience[] = "https://demo.example.com:443";
inline constexpr char kDemoScope[] = "urn:opc:resource:consumer::all";
inline constexpr char kDemoAlias[] = "demo";
inline constexpr char kDemoAdmin[] = "demo-admin";

// `bootstrap_admin_id`: the client id of the bootstrap administrator, or empty when none was
// configured (then the demo makes its own administrator, "demo-admin").
Result<DemoSetup> EnsureDemo(oauth::AdminService& admin, store::Store& store,
                             const std::string& data_dir, int64_t now,
                             const std::string& bootstrap_admin_id);

// The commands a newcomer pastes: sign an assertion, exchange it for a token.
void PrintDemoCommands(const DemoSetup& demo, const std::string& base_url,
                       const std::string& tessera_path, std::ostream& out);

}  // namespace tessera::server

#endif  // TESSERA_SERVER_DEMO_H_

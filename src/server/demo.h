// Demo mode (`tessera serve --demo`): creates, once, a user, a resource app, a key pair with its
// certificate, and an active confidential app trusting that certificate by alias; then prints
// the exact commands that obtain a token with them.
//
// The demo client's secret is kept in <data_dir>/demo/client.json (mode 0600) so that every
// start can print working commands; a production app's secret is never kept anywhere.
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
  std::string key_file;
  std::string cert_file;
  std::string scope;  // the fully qualified demo scope
};

inline constexpr char kDemoUser[] = "demo.user";
inline constexpr char kDemoAudience[] = "https://demo.example.com:443";
inline constexpr char kDemoScope[] = "urn:opc:resource:consumer::all";
inline constexpr char kDemoAlias[] = "demo";

Result<DemoSetup> EnsureDemo(oauth::AdminService& admin, store::Store& store,
                             const std::string& data_dir, int64_t now);

// The commands a newcomer pastes: sign an assertion, exchange it for a token.
void PrintDemoCommands(const DemoSetup& demo, const std::string& base_url,
                       const std::string& tessera_path, std::ostream& out);

}  // namespace tessera::server

#endif  // TESSERA_SERVER_DEMO_H_

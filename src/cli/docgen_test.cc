#include "cli/docgen.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace tessera::cli {
namespace {

// A small command tree; the real one is checked against groff and bash by the integration tests.
struct Tree {
  Tree() : app("Demo tool", "demo") {
    CLI::App* serve = app.add_subcommand("serve", "Run it");
    serve->add_option("--listen", listen, "HOST:PORT (default 127.0.0.1:8080)");
    serve->add_flag("--demo", flag, "A flag");
    CLI::App* admin = app.add_subcommand("admin", "Administer");
    admin->add_option("--url", url, "Base URL")->required();
    admin->add_subcommand("users", "Users")->add_subcommand("list", "List users");
    app.add_subcommand("secret", "Hidden")->group("");
  }
  CLI::App app;
  std::string listen, url;
  bool flag = false;
};

TEST(DocgenTest, ManPageNamesEveryVisibleCommandAndOption) {
  Tree t;
  const std::string man = ManPage(t.app);
  EXPECT_EQ(man.rfind(".TH TESSERA 1", 0), 0u);
  EXPECT_NE(man.find(".SS \"demo serve\""), std::string::npos);
  EXPECT_NE(man.find(".SS \"demo admin users list\""), std::string::npos);
  EXPECT_NE(man.find("\\fB\\-\\-listen\\fR \\fITEXT\\fR"), std::string::npos);
  EXPECT_NE(man.find("(required)"), std::string::npos);
  EXPECT_EQ(man.find("Hidden"), std::string::npos);
  // No text line may start with a roff control character.
  EXPECT_EQ(man.find("\n'"), std::string::npos);
}

TEST(DocgenTest, CompletionListsWordsPerCommandPath) {
  Tree t;
  const std::string bash = BashCompletion(t.app);
  EXPECT_NE(bash.find("\"demo\") words=\"serve admin --help"), std::string::npos);
  EXPECT_NE(bash.find("\"demo/serve\") words=\"--help --listen --demo \" with_value=\"--listen \""),
            std::string::npos);
  EXPECT_NE(bash.find("\"demo/admin/users\") words=\"list --help \""), std::string::npos);
  EXPECT_NE(bash.find("complete -F _demo demo"), std::string::npos);
  EXPECT_EQ(bash.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace tessera::cli

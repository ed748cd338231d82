// `tessera doctor`: the assertion check of contract section 6, as a checklist with the fix for
// each failed rule. It authenticates as the client itself (Basic), so an integrator can diagnose
// without administrator rights; nothing is consumed or issued.
#include <CLI/CLI.hpp>
#include <cctype>
#include <memory>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/http_fetch.h"
#include "cli/secret_options.h"
#include "jose/json.h"

namespace tessera::cli {

void RegisterDoctorCommand(CLI::App& app, CommandContext& ctx) {
  struct Options {
    std::string url, client_id, assertion, scope;
    std::string dpop_proof, dpop_method = "POST", dpop_url;
    ClientSecretOptions secret;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "doctor", "Check an assertion against every token-endpoint rule and explain each failure");
  cmd->add_option("--url", o->url, "Base URL of the Tessera server")->required();
  cmd->add_option("--client-id", o->client_id, "The client id the assertion is for")->required();
  AddClientSecretOptions(cmd, &o->secret, "The client's secret", "");
  cmd->add_option("--assertion", o->assertion,
                  "The JWT assertion, or - to read it from standard input")
      ->required();
  cmd->add_option("--scope", o->scope, "The scope the token request would ask for");
  cmd->add_option("--dpop-proof", o->dpop_proof,
                  "A DPoP proof the token request would carry: each RFC 9449 check is reported");
  cmd->add_option("--dpop-method", o->dpop_method, "The method the proof is for (default POST)");
  cmd->add_option("--dpop-url", o->dpop_url,
                  "The URL the proof is for (default the server's token endpoint)");
  cmd->add_flag("--json", o->json, "Print the server's JSON report");
  cmd->callback([&ctx, o] {
    ctx.action = [&ctx, o]() -> Status {
      if (o->assertion == "-" && o->secret.file == "-") {
        return Status::InvalidArgument(
            "--assertion - and --client-secret-file - cannot both read standard input");
      }
      TESSERA_ASSIGN_OR_RETURN(std::optional<std::string> secret, o->secret.Resolve());
      if (!secret)
        return Status::InvalidArgument(
            "give the client's secret: --client-secret or --client-secret-file");
      std::string assertion = o->assertion;
      if (assertion == "-") {
        TESSERA_ASSIGN_OR_RETURN(assertion, ReadFileBounded("-", "assertion"));
        // A file's final newline is how text files end, not part of what was asked about: it is
        // named (the token endpoint refuses it, and `curl --data-urlencode assertion@FILE` sends
        // it) and the assertion without it is checked. An assertion given as an argument is
        // checked exactly as given, so its whitespace fails rule 1 with that reason.
        std::string trimmed = assertion;
        while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
          trimmed.pop_back();
        size_t lead = 0;
        while (lead < trimmed.size() && std::isspace(static_cast<unsigned char>(trimmed[lead])))
          ++lead;
        trimmed.erase(0, lead);
        if (trimmed != assertion) {
          *ctx.err << "note: the assertion read from standard input "
                   << (lead > 0 ? "begins" : "ends")
                   << " with whitespace, which the token endpoint refuses (rule 1); send it "
                      "without: curl --data-urlencode \"assertion=$(cat a.jwt)\", not "
                      "assertion@a.jwt. Checking it without that whitespace:\n";
          assertion = std::move(trimmed);
        }
      }
      jose::Json body = {{"assertion", assertion}, {"clientId", o->client_id}};
      if (!o->scope.empty()) body["scope"] = o->scope;
      if (!o->dpop_proof.empty()) {
        body["dpop"] = {{"proof", o->dpop_proof}, {"method", o->dpop_method}};
        if (!o->dpop_url.empty()) body["dpop"]["url"] = o->dpop_url;
      }
      std::string base = o->url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      TESSERA_ASSIGN_OR_RETURN(
          HttpAnswer answer,
          HttpSend("POST", base + "/admin/v1/AssertionChecks",
                   {"Authorization: " + BasicAuthorization(o->client_id, *secret),
                    "Content-Type: application/json", "Accept: application/json"},
                   jose::DumpCompact(body)));
      if (answer.status != 200)
        return Status::FailedPrecondition(ErrorSummary(answer.status, answer.body));
      Result<jose::Json> report = jose::ParseStrictJson(answer.body, {4 << 20, 32});
      if (!report.ok() || !report->contains("rules"))
        return Status::Internal("the server's report is not JSON");
      std::ostream& out = *ctx.out;
      if (o->json) {
        out << report->dump(2) << '\n';
      } else {
        for (const auto& r : (*report)["rules"]) {
          const bool passed = r.value("passed", false);
          // "not_checked": a rule the server did not evaluate because an earlier one (the
          // signature) failed; fix that one first. Older servers send only "passed".
          const std::string result = r.value("result", std::string(passed ? "pass" : "fail"));
          const bool skipped = result == "not_checked";
          out << (passed    ? "[PASS] "
                  : skipped ? "[SKIP] "
                            : "[FAIL] ")
              << "rule " << r.value("rule", 0) << " " << r.value("name", std::string())
              << (r.value("detail", std::string()).empty()
                      ? ""
                      : ": " + r.value("detail", std::string()))
              << '\n';
          if (!passed && !skipped) {
            out << "       reason: " << r.value("reason", std::string()) << '\n'
                << "       fix:    " << r.value("fix", std::string()) << '\n';
          }
        }
      }
      if (!report->value("passed", false)) {
        return Status::FailedPrecondition(
            "the assertion would be rejected (see the failed rules above)");
      }
      out << "All rules pass: the token endpoint would accept this assertion.\n";
      return Status::Ok();
    };
  });
}

}  // namespace tessera::cli

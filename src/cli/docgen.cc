#include "cli/docgen.h"

#include <CLI/CLI.hpp>
#include <sstream>
#include <vector>

#include "cli/commands.h"

namespace tessera::cli {
namespace {

std::vector<const CLI::App*> Visible(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

// CLI11 flags expect no value (expected 0); options expect at least one.
bool TakesValue(const CLI::Option& opt) {
  return opt.get_type_size() != 0 && opt.get_expected_max() != 0;
}

std::vector<const CLI::Option*> Options(const CLI::App& app) {
  return app.get_options([&app](const CLI::Option* opt) {
    return opt != app.get_help_ptr() && opt != app.get_help_all_ptr() && !opt->get_group().empty();
  });
}

// Text for roff: backslashes written \e, hyphens \-, and no line starting with a control
// character ('.' or '\'') that roff would take for a request.
std::string Roff(const std::string& text, bool hyphens = false) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && hyphens) {
      out += "\\-";
    } else if (c == '\n') {
      out += "\n.br\n";
    } else {
      if ((c == '.' || c == '\'') && (out.empty() || out.back() == '\n')) out += "\\&";
      out += c;
    }
  }
  return out;
}

std::string Path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
    path.insert(0, 1, ' ').insert(0, p->get_name());
  }
  return path;
}

std::string OptionSynopsis(const CLI::Option& opt) {
  std::string names;
  for (const auto& s : opt.get_snames()) names += (names.empty() ? "" : ", ") + ("\\-" + s);
  for (const auto& l : opt.get_lnames()) names += (names.empty() ? "" : ", ") + ("\\-\\-" + l);
  if (names.empty()) return "\\fI" + Roff(opt.get_name(true, false)) + "\\fR";
  std::string out = "\\fB" + names + "\\fR";
  if (TakesValue(opt)) {
    std::string type = opt.get_type_name();
    if (type.empty()) type = "VALUE";
    out += " \\fI" + Roff(type) + "\\fR";
  }
  return out;
}

void ManCommand(const CLI::App& cmd, std::ostringstream& out) {
  out << ".SS \"" << Roff(Path(cmd), true) << "\"\n" << Roff(cmd.get_description()) << "\n";
  for (const CLI::Option* opt : Options(cmd)) {
    out << ".TP\n" << OptionSynopsis(*opt) << "\n" << Roff(opt->get_description());
    if (opt->get_required()) out << " (required)";
    if (!opt->get_envname().empty())
      out << " Environment: \\fB" << Roff(opt->get_envname()) << "\\fR.";
    out << "\n";
  }
  const auto subs = Visible(cmd);
  if (!subs.empty()) {
    out << ".PP\nSubcommands:";
    for (const CLI::App* sub : subs) out << " \\fB" << Roff(sub->get_name(), true) << "\\fR";
    out << ".\n";
  }
  for (const CLI::App* sub : subs) ManCommand(*sub, out);
}

// A command path ("tessera/admin/users") with what may follow it.
struct CompletionNode {
  std::string key;
  std::string words;       // subcommands and long options
  std::string with_value;  // the long options that take a value (their argument is skipped)
};

void CompletionNodes(const CLI::App& cmd, const std::string& key,
                     std::vector<CompletionNode>& out) {
  CompletionNode node{key, "", ""};
  for (const CLI::App* sub : Visible(cmd)) node.words += sub->get_name() + " ";
  for (const CLI::Option* opt : cmd.get_options()) {
    for (const auto& l : opt->get_lnames()) {
      node.words += "--" + l + " ";
      if (TakesValue(*opt)) node.with_value += "--" + l + " ";
    }
  }
  out.push_back(node);
  for (const CLI::App* sub : Visible(cmd)) CompletionNodes(*sub, key + "/" + sub->get_name(), out);
}

}  // namespace

std::string ManPage(const CLI::App& app) {
  std::ostringstream out;
  const std::string& name = app.get_name();
  // Left-adjusted (.ad l): option texts name long URNs, which a justified line cannot stretch
  // around without a warning.
  out << ".TH TESSERA 1 \"\" \"" << Roff(name) << "\" \"User Commands\"\n"
      << ".ad l\n"
      << ".SH NAME\n"
      << Roff(name) << " \\- " << Roff(app.get_description()) << "\n"
      << ".SH SYNOPSIS\n.B " << Roff(name)
      << "\n\\fICOMMAND\\fR [\\fISUBCOMMAND\\fR] [\\fIOPTIONS\\fR]\n"
      << ".SH DESCRIPTION\n"
      << Roff(app.get_description())
      << ". Every command prints its options with \\fB\\-\\-help\\fR; \\fB" << Roff(name)
      << " \\-\\-help\\-all\\fR prints them all.\n"
      << ".PP\nCommands:";
  for (const CLI::App* sub : Visible(app)) out << " \\fB" << Roff(sub->get_name(), true) << "\\fR";
  out << ".\n.SH COMMANDS\n";
  for (const CLI::App* sub : Visible(app)) ManCommand(*sub, out);
  out << ".SH ENVIRONMENT\n"
      << "Every setting of \\fBserve\\fR may be given as \\fBTESSERA_\\fR\\fINAME\\fR (upper case, "
         "e.g.\n"
      << "\\fBTESSERA_LISTEN\\fR). Every \\fBTESSERA_\\fR\\fINAME\\fR variable may be given as\n"
      << "\\fBTESSERA_\\fR\\fINAME\\fR\\fB_FILE\\fR instead: the content of that file, one "
         "trailing newline\n"
      << "dropped. Giving both is an error.\n"
      << ".TP\n.B TESSERA_CONFIG\nThe configuration file of \\fBserve\\fR when "
         "\\fB\\-\\-config\\fR is not given.\n"
      << ".TP\n.B TESSERA_ADMIN_CLIENT_ID\\fR, \\fBTESSERA_ADMIN_CLIENT_SECRET\n"
      << "The bootstrap administrator \\fBserve\\fR creates, and the credentials \\fBadmin\\fR "
         "uses.\n"
      << ".TP\n.B TESSERA_CONSOLE_USER\\fR, \\fBTESSERA_CONSOLE_PASSWORD\n"
      << "The bootstrap console operator \\fBserve\\fR creates (password of 12 characters or "
         "more).\n"
      << ".SH FILES\n.TP\n.I /etc/tessera/tessera.toml\n"
      << "The configuration file of \\fBserve\\fR when neither \\fB\\-\\-config\\fR nor "
         "\\fBTESSERA_CONFIG\\fR names one.\n"
      << ".SH \"EXIT STATUS\"\n0 on success, 1 when the command failed, 2 when the command line is "
         "wrong.\n";
  return out.str();
}

std::string BashCompletion(const CLI::App& app) {
  const std::string& name = app.get_name();
  std::vector<CompletionNode> nodes;
  CompletionNodes(app, name, nodes);
  std::ostringstream out;
  out << "# bash completion for " << name << ", generated from its command definitions\n"
      << "_" << name << "() {\n"
      << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" key=\"" << name << "\" i w words with_value\n"
      << "  for ((i = 1; i <= COMP_CWORD; i++)); do\n"
      << "    case \"$key\" in\n";
  for (const auto& n : nodes) {
    out << "      \"" << n.key << "\") words=\"" << n.words << "\" with_value=\"" << n.with_value
        << "\" ;;\n";
  }
  out << "    esac\n"
      << "    ((i == COMP_CWORD)) && break\n"
      << "    w=\"${COMP_WORDS[i]}\"\n"
      << "    if [[ $w == -* ]]; then\n"
      << "      [[ \" $with_value \" == *\" $w \"* ]] && ((i++))\n"
      << "    elif [[ \" $words \" == *\" $w \"* ]]; then\n"
      << "      key=\"$key/$w\"\n"
      << "    fi\n"
      << "  done\n"
      << "  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
      << "}\n"
      << "complete -F _" << name << " " << name << "\n";
  return out.str();
}

void RegisterDocCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* man = app.add_subcommand("man", "Print the man page tessera(1)");
  man->group("");
  man->callback([&app, &ctx] {
    ctx.action = [&app, &ctx]() -> Status {
      *ctx.out << ManPage(app);
      return Status::Ok();
    };
  });
  auto shell = std::make_shared<std::string>();
  CLI::App* completion =
      app.add_subcommand("completion", "Print the completion script of a shell (bash)");
  completion->group("");
  completion->add_option("SHELL", *shell, "The shell: bash")
      ->required()
      ->check(CLI::IsMember({"bash"}));
  completion->callback([&app, &ctx, shell] {
    ctx.action = [&app, &ctx]() -> Status {
      *ctx.out << BashCompletion(app);
      return Status::Ok();
    };
  });
}

}  // namespace tessera::cli

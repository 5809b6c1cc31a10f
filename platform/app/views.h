// The subcommands that look at finished runs: `vmstat`, `plot` and `sweep`. main.cpp registers them
// with add_view_commands and dispatches with run_view_commands.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

namespace pc::app {

struct ViewCommands;

// Adds the subcommands to `app`; the returned object holds their options.
std::shared_ptr<ViewCommands> add_view_commands(CLI::App& app);
// Runs the parsed view subcommand and returns its exit status, or -1 when none of them was given.
// Bad input prints `pagecycle: ...` naming the file or key and returns 2.
int run_view_commands(const ViewCommands& v);

}  // namespace pc::app

// pipe channels: an unnamed pipe whose ends the runner takes once each.
#include <fcntl.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "channel_test_support.h"
#include "channels/channel.h"
#include "processes/spawn_program.h"
#include "runner/run_directory.h"
#include "support.h"

namespace faultline::test {
namespace {

TEST_CASE("A pipe channel hands over each end once, close-on-exec") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("pipe");
  auto ch = provision_channel(spec_of("p", ChannelType::pipe), dir);
  CHECK(ch->attributes().empty());
  UniqueFd read_end = ch->take_pipe_end(false);
  UniqueFd write_end = ch->take_pipe_end(true);
  REQUIRE(read_end.valid());
  REQUIRE(write_end.valid());
  CHECK((fcntl(read_end.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK((fcntl(write_end.get(), F_GETFD) & FD_CLOEXEC) != 0);
  CHECK_FALSE(ch->take_pipe_end(false).valid());
  CHECK_FALSE(ch->take_pipe_end(true).valid());
}

TEST_CASE("A pipe channel carries what a child process writes to its write end") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("pipe");
  auto ch = provision_channel(spec_of("p", ChannelType::pipe), dir);
  UniqueFd read_end = ch->take_pipe_end(false);
  UniqueFd write_end = ch->take_pipe_end(true);
  ProgramSpec spec;
  spec.argv = {"echo", "through the pipe"};
  spec.search_path = true;
  spec.fds = {{1, write_end.get()}};
  StartOutcome started = spawn_program(spec);
  REQUIRE(started.child);
  const pid_t pid = started.child->pid;
  write_end.reset();  // the child now holds the only write end: EOF when it exits
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = read(read_end.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  (void)wait_for_exit(pid);
  CHECK(got == "through the pipe\n");
}

TEST_CASE("Removing a pipe channel closes the ends nobody took") {
  ScopedTmpdir tmp;
  NothingLeftBehind guard;
  RunDirectory dir("pipe");
  auto ch = provision_channel(spec_of("p", ChannelType::pipe), dir);
  UniqueFd read_end = ch->take_pipe_end(false);
  ch->remove();
  // The write end is closed: a read sees end of file at once instead of blocking.
  char c;
  CHECK(read(read_end.get(), &c, 1) == 0);
  ch->remove();
}

}  // namespace
}  // namespace faultline::test

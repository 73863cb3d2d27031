// run_in_workers: the pool of forked workers that `faultline run -j` and `faultline explore`
// share: each job once, at most `width` at once, in workers forked once and reused, a dead
// worker losing only its own job.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "util/worker_pool.h"

namespace faultline {
namespace {

// Jobs 0..count-1 in order; each reply is "PID" of the worker that ran it.
struct Recorder {
  explicit Recorder(std::uint32_t jobs) : count(jobs) {}
  std::uint32_t count;
  std::uint32_t next = 0;
  std::size_t in_flight = 0, most_in_flight = 0;
  std::map<std::uint32_t, std::string> replies;
  std::map<std::uint32_t, bool> alone;
  std::map<std::uint32_t, int> lost;

  WorkerPoolJobs jobs(std::size_t width) {
    WorkerPoolJobs j;
    j.work = [](std::uint32_t, std::string& reply) {
      reply = std::to_string(::getpid());
      return true;
    };
    j.next = [this]() -> std::optional<std::uint32_t> {
      if (next >= count) return std::nullopt;
      ++in_flight;
      most_in_flight = std::max(most_in_flight, in_flight);
      return next++;
    };
    j.width = [width] { return width; };
    j.done = [this](std::uint32_t job, std::string_view reply, bool was_alone) {
      --in_flight;
      CHECK(replies.count(job) == 0);
      replies[job] = std::string(reply);
      alone[job] = was_alone;
    };
    j.lost = [this](std::uint32_t job, int status, bool) {
      --in_flight;
      lost[job] = status;
    };
    return j;
  }
};

TEST_CASE("run_in_workers runs every job once, at most width at once, in workers forked once",
          "[util][pool]") {
  Recorder r(12);
  int interrupted = -1;
  run_in_workers(r.jobs(2), &interrupted);
  CHECK(interrupted == 0);
  REQUIRE(r.replies.size() == 12);
  CHECK(r.lost.empty());
  CHECK(r.most_in_flight == 2);
  std::set<std::string> workers;
  for (const auto& [job, pid] : r.replies) workers.insert(pid);
  // Two workers, not one per job, and none of them this process.
  CHECK(workers.size() <= 2);
  CHECK(workers.count(std::to_string(::getpid())) == 0);
  // Side by side: the first two jobs had each other.
  CHECK_FALSE(r.alone[0]);
  CHECK_FALSE(r.alone[1]);
  // Every worker was waited for.
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
}

TEST_CASE("run_in_workers with width 1 runs one job at a time, each alone", "[util][pool]") {
  Recorder r(5);
  int interrupted = 0;
  run_in_workers(r.jobs(1), &interrupted);
  REQUIRE(r.replies.size() == 5);
  CHECK(r.most_in_flight == 1);
  for (const auto& [job, was_alone] : r.alone) CHECK(was_alone);
  std::set<std::string> workers;
  for (const auto& [job, pid] : r.replies) workers.insert(pid);
  CHECK(workers.size() == 1);
}

TEST_CASE("A worker that dies loses only its job; another worker takes the next ones",
          "[util][pool]") {
  Recorder r(6);
  WorkerPoolJobs jobs = r.jobs(1);
  jobs.work = [](std::uint32_t job, std::string& reply) {
    if (job == 2) ::_exit(7);
    reply = std::to_string(::getpid());
    return true;
  };
  int interrupted = 0;
  run_in_workers(jobs, &interrupted);
  REQUIRE(r.lost.count(2) == 1);
  CHECK(WIFEXITED(r.lost[2]));
  CHECK(WEXITSTATUS(r.lost[2]) == 7);
  CHECK(r.replies.size() == 5);
  CHECK(r.replies.count(2) == 0);
  // The jobs after the death ran in a new worker.
  CHECK(r.replies[1] != r.replies[3]);
}

TEST_CASE("A job that says stop ends its worker once its reply is in", "[util][pool]") {
  Recorder r(4);
  WorkerPoolJobs jobs = r.jobs(1);
  jobs.work = [](std::uint32_t job, std::string& reply) {
    reply = std::to_string(::getpid());
    return job != 1;
  };
  int interrupted = 0;
  run_in_workers(jobs, &interrupted);
  REQUIRE(r.replies.size() == 4);
  CHECK(r.lost.empty());
  CHECK(r.replies[0] == r.replies[1]);
  CHECK(r.replies[1] != r.replies[2]);
}

}  // namespace
}  // namespace faultline

// Unit tests of explore's plan: occurrences, breadth-first order, sites over two baselines,
// filters and shards.
#include "explore/plan.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <set>

using namespace faultline;
using namespace faultline::explore;

namespace {

RecordedCall recorded(const std::string& process, const std::string& call, std::uint64_t offset,
                      std::uint64_t count) {
  RecordedCall c;
  c.process = process;
  c.call = call;
  c.module = "/bin/prog";
  c.offset = offset;
  c.site = fmt::format("prog+{:#x}", offset);
  c.count = count;
  c.shape = "stream";
  c.eintr_realistic = true;
  c.short_realistic = true;
  return c;
}

Scenario scenario_of(std::initializer_list<const char*> processes) {
  Scenario s;
  s.name = "s";
  s.file = "/tmp/s.yaml";
  for (const char* p : processes) {
    ProcessSpec spec;
    spec.name = p;
    s.processes.push_back(spec);
  }
  return s;
}

ScenarioResult baseline(std::vector<RecordedCall> calls) {
  ScenarioResult r;
  r.passed = true;
  r.seed = 7;
  r.recorded = std::move(calls);
  return r;
}

}  // namespace

TEST_CASE("Occurrences are 1, 2, 3, then powers of two and the last", "[explore][plan]") {
  CHECK(occurrences(0, std::nullopt).empty());
  CHECK(occurrences(1, std::nullopt) == std::vector<std::uint64_t>{1});
  CHECK(occurrences(3, std::nullopt) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(occurrences(4, std::nullopt) == std::vector<std::uint64_t>{1, 2, 3, 4});
  CHECK(occurrences(10, std::nullopt) == std::vector<std::uint64_t>{1, 2, 3, 4, 8, 10});
  CHECK(occurrences(16, std::nullopt) == std::vector<std::uint64_t>{1, 2, 3, 4, 8, 16});
  CHECK(occurrences(5, 0) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(occurrences(100, 2) == std::vector<std::uint64_t>{1, 2});
  CHECK(occurrences(2, 5) == std::vector<std::uint64_t>{1, 2});
}

TEST_CASE("Points are planned breadth first: every site's first occurrence before any second",
          "[explore][plan]") {
  auto s = scenario_of({"server", "client"});
  auto b = baseline({recorded("client", "recv", 0x20, 5), recorded("server", "accept4", 0x10, 2)});
  Plan plan = make_plan(s, {b, b}, {});
  REQUIRE(plan.sites.size() == 2);
  // The scenario's process order, not the recording's.
  CHECK(plan.sites[0].call.process == "server");
  CHECK(plan.sites[1].call.process == "client");
  REQUIRE_FALSE(plan.points.empty());
  for (std::size_t i = 1; i < plan.points.size(); ++i)
    CHECK(plan.points[i - 1].depth <= plan.points[i].depth);
  std::set<std::size_t> first_round;
  for (const auto& p : plan.points)
    if (p.depth == 0) first_round.insert(p.site);
  CHECK(first_round.size() == 2);
  for (const auto& p : plan.points) {
    const auto& site = plan.sites[p.site].call;
    CHECK(p.spec == fmt::format("{}/{}:{}:site={}:nth={}", site.process, site.call, p.action,
                                site.site, p.nth));
    CHECK(p.nth <= plan.sites[p.site].reached);
  }
  std::set<std::string> ids;
  for (const auto& p : plan.points) ids.insert(p.id);
  CHECK(ids.size() == plan.points.size());
  CHECK(plan.seed == 7);
}

TEST_CASE("A site reached in one baseline run only, or a different number of times, is unstable",
          "[explore][plan]") {
  auto s = scenario_of({"server"});
  auto a = baseline({recorded("server", "accept4", 0x10, 2), recorded("server", "read", 0x30, 4)});
  auto b = baseline({recorded("server", "accept4", 0x10, 2), recorded("server", "read", 0x30, 6),
                     recorded("server", "write", 0x40, 1)});
  Plan plan = make_plan(s, {a, b}, {});
  REQUIRE(plan.sites.size() == 3);
  for (const auto& site : plan.sites) {
    if (site.call.call == "accept4") CHECK_FALSE(site.unstable);
    if (site.call.call == "read") {
      CHECK(site.unstable);
      CHECK(site.reached == 6);
    }
    if (site.call.call == "write") CHECK(site.unstable);
  }
}

TEST_CASE("Records of one site from several processes of a name are one site", "[explore][plan]") {
  auto s = scenario_of({"server"});
  auto b = baseline({recorded("server", "read", 0x30, 2), recorded("server", "read", 0x30, 3)});
  Plan plan = make_plan(s, {b}, {});
  REQUIRE(plan.sites.size() == 1);
  CHECK(plan.sites[0].reached == 5);
}

TEST_CASE("The process, call and kind filters narrow the plan", "[explore][plan]") {
  auto s = scenario_of({"server", "client"});
  auto b = baseline({recorded("server", "accept4", 0x10, 1), recorded("client", "recv", 0x20, 1)});
  PlanOptions only_client;
  only_client.processes = {"client"};
  for (const auto& p : make_plan(s, {b}, only_client).points)
    CHECK(p.spec.rfind("client/", 0) == 0);
  PlanOptions only_accept;
  only_accept.calls = {"accept"};  // a base name covers its variants
  auto plan = make_plan(s, {b}, only_accept);
  REQUIRE_FALSE(plan.points.empty());
  for (const auto& p : plan.points) CHECK(plan.sites[p.site].call.call == "accept4");
  PlanOptions crash_only;
  crash_only.kinds = {"crash"};
  plan = make_plan(s, {b}, crash_only);
  REQUIRE_FALSE(plan.points.empty());
  for (const auto& p : plan.points) CHECK(p.action == "signal=SIGKILL");
}

TEST_CASE("A scenario without an output expectation or a peer gets a note", "[explore][plan]") {
  auto s = scenario_of({"server"});
  auto b = baseline({recorded("server", "read", 0x30, 1)});
  auto has_note = [](const Plan& p) {
    return std::any_of(p.notes.begin(), p.notes.end(), [](const std::string& n) {
      return n.find("silent wrong result cannot be seen") != std::string::npos;
    });
  };
  CHECK(has_note(make_plan(s, {b}, {})));
  s.processes[0].expect.stdout_text.push_back({});
  CHECK_FALSE(has_note(make_plan(s, {b}, {})));
}

TEST_CASE("Shards split the points: each in exactly one, the same on every call",
          "[explore][plan]") {
  auto s = scenario_of({"server", "client"});
  auto b = baseline({recorded("server", "accept4", 0x10, 9), recorded("client", "recv", 0x20, 40),
                     recorded("client", "send", 0x28, 40)});
  Plan plan = make_plan(s, {b}, {});
  REQUIRE(plan.points.size() > 20);
  for (unsigned total : {2u, 3u, 5u}) {
    std::vector<unsigned> per_shard(total, 0);
    for (const auto& p : plan.points) {
      unsigned owners = 0;
      for (unsigned i = 0; i < total; ++i)
        if (in_shard(p, {i, total})) {
          ++owners;
          ++per_shard[i];
        }
      CHECK(owners == 1);
    }
    for (unsigned n : per_shard) CHECK(n > 0);
  }
  CHECK(stable_hash("server/accept4@prog+0x10/error=EMFILE#1") ==
        stable_hash("server/accept4@prog+0x10/error=EMFILE#1"));
}

TEST_CASE("With a calling context, one caller's calls from two places are two sites",
          "[explore][plan][context]") {
  auto via = [](const char* caller, std::uint64_t outer, std::uint64_t count) {
    RecordedCall c = recorded("server", "write", 0x100, count);
    RecordedCall::Frame f;
    f.module = "/bin/prog";
    f.offset = outer;
    f.function = caller;
    f.site = fmt::format("prog+{:#x}", outer);
    c.site += "<" + f.site;
    c.context.push_back(f);
    return c;
  };
  PlanOptions options;
  options.context = 2;
  options.kinds = {"error"};
  auto plan =
      make_plan(scenario_of({"server"}),
                {baseline({via("send_header", 0x200, 3), via("send_body", 0x300, 3)})}, options);
  CHECK(plan.context == 2);
  REQUIRE(plan.sites.size() == 2);
  std::set<std::string> specs;
  for (const auto& p : plan.points) specs.insert(p.spec.substr(0, p.spec.find(":nth=")));
  CHECK(specs.count("server/write:error=EINTR:site=/bin/prog+0x100</bin/prog+0x200") == 1);
  CHECK(specs.count("server/write:error=EINTR:site=/bin/prog+0x100</bin/prog+0x300") == 1);
}

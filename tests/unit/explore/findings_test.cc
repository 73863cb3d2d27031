// Unit tests of explore's findings, repro commands, JSON round trip and shard merge.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "explore/exploration.h"
#include "explore/json.h"

using namespace faultline;
using namespace faultline::explore;

namespace {

Plan plan_with(std::size_t sites, std::size_t points_per_site) {
  Plan plan;
  plan.scenario = "s";
  plan.file = "/work/x/s.yaml";
  plan.seed = 42;
  plan.baseline_runs = 2;
  for (std::size_t s = 0; s < sites; ++s) {
    Site site;
    site.call.process = "server";
    site.call.call = "read";
    site.call.site = fmt::format("server+{:#x}", 0x100 + s);
    site.call.function = fmt::format("f{}", s);
    site.reached = points_per_site;
    plan.sites.push_back(site);
  }
  for (std::size_t n = 1; n <= points_per_site; ++n)
    for (std::size_t s = 0; s < sites; ++s) {
      Point p;
      p.site = s;
      p.kind = "error";
      p.action = "error=EIO";
      p.nth = n;
      p.depth = n - 1;
      p.spec = fmt::format("server/read:error=EIO:site={}:nth={}", plan.sites[s].call.site, n);
      p.id = fmt::format("server/read@{}/error=EIO#{}", plan.sites[s].call.site, n);
      plan.points.push_back(p);
    }
  return plan;
}

Outcome outcome(Verdict v, std::string detail = "why") {
  return {v, "server", std::move(detail), 1.5};
}

}  // namespace

TEST_CASE("Findings: one per site and class, most severe first, every revealing point listed",
          "[explore][findings]") {
  Plan plan = plan_with(2, 3);  // points: s0#1 s1#1 s0#2 s1#2 s0#3 s1#3
  std::vector<PointResult> results(plan.points.size());
  results[0].outcome = outcome(Verdict::hang);
  results[1].outcome = outcome(Verdict::absorbed);
  results[2].outcome = outcome(Verdict::hang);
  results[3].outcome = outcome(Verdict::crash);
  results[4].outcome = outcome(Verdict::leak);
  results[5].outcome = outcome(Verdict::clean_failure);
  auto findings = group_findings(plan, results);
  REQUIRE(findings.size() == 3);
  CHECK(findings[0].verdict == Verdict::crash);
  CHECK(findings[0].site == 1);
  CHECK(findings[1].verdict == Verdict::hang);
  CHECK(findings[1].points == std::vector<std::size_t>{0, 2});
  CHECK(findings[2].verdict == Verdict::leak);
  SECTION("a representative whose repro gave another verdict is flaky, not dropped") {
    results[0].rerun = Verdict::absorbed;
    auto again = group_findings(plan, results);
    REQUIRE(again.size() == 3);
    CHECK(again[1].flaky);
    CHECK_FALSE(again[0].flaky);
  }
}

TEST_CASE("The repro command runs exactly the point's fault with the plan's seed",
          "[explore][findings]") {
  Plan plan = plan_with(1, 1);
  CHECK(repro_command(plan, plan.points[0]) ==
        "faultline run /work/x/s.yaml --fault 'server/read:error=EIO:site=server+0x100:nth=1' "
        "--seed 42");
  plan.without_faults = true;
  CHECK(repro_command(plan, plan.points[0]).find(" --without-faults --fault ") !=
        std::string::npos);
}

TEST_CASE("An exploration survives its JSON", "[explore][json]") {
  Exploration e;
  e.plan = plan_with(2, 2);
  e.plan.sites[1].unstable = true;
  e.plan.notes.push_back("a note");
  e.results.resize(e.plan.points.size());
  e.results[0].outcome = outcome(Verdict::silent_wrong_result, "client: stdout lacks ok");
  e.results[0].rerun = Verdict::silent_wrong_result;
  e.results[0].rerun_detail = "again";
  e.results[2].outcome = outcome(Verdict::absorbed);
  e.findings = group_findings(e.plan, e.results);
  e.runs = 3;
  auto j = to_json(std::vector<Exploration>{e});
  CHECK(j["faultline_explore"] == kJsonVersion);
  auto back = explorations_from_json(j);
  REQUIRE(back.size() == 1);
  CHECK(to_json(back) == j);
  CHECK(back[0].findings.size() == 1);
  CHECK(back[0].plan.sites[1].unstable);
  CHECK_THROWS(explorations_from_json(nlohmann::json{{"faultline_explore", 99}}));
  CHECK_THROWS(explorations_from_json(nlohmann::json{{"scenarios", nlohmann::json::array()}}));
}

TEST_CASE("A plan of calling contexts survives its JSON and names every frame",
          "[explore][json][context]") {
  Exploration e;
  e.plan = plan_with(1, 1);
  e.plan.context = 2;
  RecordedCall& c = e.plan.sites[0].call;
  c.function = "xwrite";
  c.location = "io.c:9";
  c.site = "server+0x100<server+0x2a0";
  c.context.push_back({"/work/x/server", 0x2a0, "send_body", "main.c:40", "server+0x2a0"});
  e.results.resize(e.plan.points.size());
  e.results[0].outcome = outcome(Verdict::propagated);
  e.findings = group_findings(e.plan, e.results);
  auto j = to_json(std::vector<Exploration>{e});
  CHECK(j["scenarios"][0]["context"] == 2);
  CHECK(j["scenarios"][0]["findings"][0]["where"] ==
        "server read at xwrite (io.c:9) < send_body (main.c:40)");
  auto back = explorations_from_json(j);
  REQUIRE(back.size() == 1);
  CHECK(back[0].plan.context == 2);
  REQUIRE(back[0].plan.sites[0].call.context.size() == 1);
  CHECK(back[0].plan.sites[0].call.context[0].function == "send_body");
  CHECK(back[0].plan.sites[0].call.context[0].offset == 0x2a0);
  CHECK(to_json(back) == j);
  // A plan written before contexts existed is of the caller alone.
  j["scenarios"][0].erase("context");
  CHECK(explorations_from_json(j)[0].plan.context == 1);
  j["scenarios"][0]["context"] = 9;
  CHECK_THROWS_WITH(explorations_from_json(j), Catch::Contains("context 9 is not 1 to 8"));
}

TEST_CASE("Shards merged equal the unsharded result, minus timings", "[explore][merge]") {
  Plan plan = plan_with(3, 4);
  auto verdict_of = [](std::size_t i) {
    return i % 5 == 0 ? Verdict::hang : i % 3 == 0 ? Verdict::crash : Verdict::absorbed;
  };
  Exploration whole;
  whole.plan = plan;
  whole.results.resize(plan.points.size());
  std::vector<Exploration> shards(3);
  for (unsigned k = 0; k < 3; ++k) {
    shards[k].plan = plan;
    shards[k].shard = {k, 3};
    shards[k].results.resize(plan.points.size());
  }
  for (std::size_t i = 0; i < plan.points.size(); ++i) {
    whole.results[i].outcome = outcome(verdict_of(i));
    ++whole.runs;
    for (unsigned k = 0; k < 3; ++k)
      if (in_shard(plan.points[i], {k, 3})) {
        shards[k].results[i].outcome = outcome(verdict_of(i));
        ++shards[k].runs;
      }
  }
  whole.findings = group_findings(whole.plan, whole.results);
  std::vector<std::vector<Exploration>> parts;
  for (auto& s : shards) {
    s.findings = group_findings(s.plan, s.results);
    // Through JSON, as `faultline merge` reads them.
    parts.push_back(explorations_from_json(to_json(std::vector<Exploration>{s})));
  }
  auto merged = merge(parts);
  REQUIRE(merged.size() == 1);
  CHECK(to_json(merged[0], false) == to_json(whole, false));

  SECTION("results of different plans are refused") {
    parts[1][0].plan.seed = 1;
    CHECK_THROWS_WITH(merge(parts), Catch::Contains("differently"));
  }
  SECTION("results explored with different --context are refused") {
    parts[1][0].plan.context = 2;
    CHECK_THROWS_WITH(merge(parts), Catch::Contains("--context 2, the first with --context 1"));
  }
  SECTION("a missing shard is refused: its points were run nowhere") {
    parts.pop_back();
    CHECK_THROWS_WITH(merge(parts), Catch::Contains("shard 3/3 is missing"));
  }
  SECTION("a point run by two shards is refused") {
    parts[1][0].results = parts[0][0].results;
    CHECK_THROWS_WITH(merge(parts), Catch::Contains("two shards"));
  }
}

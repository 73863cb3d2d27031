// TempDir: the one temporary-folder helper of the framework, its tests and benches.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "util/temp_dir.h"

namespace fs = std::filesystem;
using faultline::TempDir;

TEST_CASE("A temporary folder is made under TMPDIR with its prefix") {
  TempDir dir("fltest-made");
  CHECK(fs::is_directory(dir.path()));
  CHECK(dir.path().parent_path() == fs::temp_directory_path());
  CHECK(dir.path().filename().string().rfind("fltest-made-", 0) == 0);
  CHECK(dir / "x" == (dir.path() / "x").string());
}

TEST_CASE("A temporary folder is removed at the end of its scope") {
  fs::path where;
  {
    TempDir dir;
    where = dir.path();
    REQUIRE(fs::is_directory(where));
  }
  CHECK_FALSE(fs::exists(where));
}

TEST_CASE("A temporary folder is removed with everything in it") {
  fs::path where;
  {
    TempDir dir;
    where = dir.path();
    fs::create_directories(where / "a" / "b");
    std::ofstream(where / "a" / "b" / "file") << "content";
    std::ofstream(where / "top") << "content";
    fs::create_symlink("/", where / "link-out");  // followed by nobody: only the link goes
    REQUIRE(fs::exists(where / "a" / "b" / "file"));
  }
  CHECK_FALSE(fs::exists(where));
  CHECK(fs::exists("/etc"));
}

TEST_CASE("Two temporary folders with the same prefix are distinct") {
  TempDir a("fltest-same"), b("fltest-same");
  CHECK(a.path() != b.path());
}

TEST_CASE("A moved temporary folder is removed once, by its last owner") {
  fs::path where;
  {
    std::optional<TempDir> last;
    {
      TempDir first("fltest-moved");
      where = first.path();
      last.emplace(std::move(first));
    }
    // `first` is gone, the folder is not.
    CHECK(fs::is_directory(where));
    CHECK(last->path() == where);
  }
  CHECK_FALSE(fs::exists(where));
}

TEST_CASE("A temporary folder that cannot be made is an error, not a silent empty path") {
  const char* old = std::getenv("TMPDIR");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  TempDir parent("fltest-parent");
  fs::permissions(parent.path(), fs::perms::owner_read | fs::perms::owner_exec);
  ::setenv("TMPDIR", parent.path().c_str(), 1);
  bool threw = false;
  try {
    TempDir dir;
    // root may write into a read-only folder: then the folder is made like any other.
    threw = !fs::is_directory(dir.path());
  } catch (const std::exception& e) {
    threw = true;
    CHECK(std::string(e.what()).find("TMPDIR") != std::string::npos);
  }
  if (saved) {
    ::setenv("TMPDIR", saved->c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  fs::permissions(parent.path(), fs::perms::owner_all);
  if (::geteuid() != 0) CHECK(threw);
}

// The plain driver of a fuzz target (tests/fuzz/): runs LLVMFuzzerTestOneInput once on each
// file named, or on every file under each folder named, without libFuzzer, so the inputs the
// fuzzers found (tests/fuzz/regressions/) are replayed by CTest in any build, gcc included.
// An input that crashes the target fails the test by its signal; an input that takes more
// than --max-cpu-seconds (default 1, libFuzzer's -timeout in ci/fuzz) of CPU time fails it
// too, since a slow input is a finding like a crash.
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  double max_cpu_seconds = 1.0;
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--max-cpu-seconds" && i + 1 < argc) {
      max_cpu_seconds = std::atof(argv[++i]);
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
          inputs.push_back(entry.path());  // .gitkeep keeps an empty folder in git
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.emplace_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or folder: %s\n", argv[0], argv[i]);
      return 2;
    }
  }
  std::sort(inputs.begin(), inputs.end());
  int slow = 0;
  for (const auto& input : inputs) {
    std::ifstream in(input, std::ios::binary);
    const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const double started = cpu_seconds();
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    const double spent = cpu_seconds() - started;
    if (spent > max_cpu_seconds) {
      std::fprintf(stderr, "slow input: %s took %.2f s of CPU time (limit %.2f s)\n", input.c_str(),
                   spent, max_cpu_seconds);
      ++slow;
    }
  }
  std::printf("%zu inputs replayed, %d slow\n", inputs.size(), slow);
  return slow == 0 ? 0 : 1;
}

// expand_scenario_paths(); see scenario_paths.h.
#include "scenario_paths.h"

#include <algorithm>

namespace faultline::cli {

namespace fs = std::filesystem;

std::vector<fs::path> expand_scenario_paths(const std::vector<std::string>& args,
                                            Diagnostics& diags) {
  std::vector<fs::path> files;
  for (const auto& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(a, ec))
        if (e.is_regular_file() &&
            (e.path().extension() == ".yaml" || e.path().extension() == ".yml"))
          found.push_back(e.path());
      std::sort(found.begin(), found.end());
      if (found.empty())
        diags.push_back({{a, 0, 0}, "no scenario files (*.yaml) in this folder", ""});
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(a, ec)) {
      files.emplace_back(a);
    } else {
      diags.push_back({{a, 0, 0}, "no such file or folder", ""});
    }
  }
  return files;
}

}  // namespace faultline::cli

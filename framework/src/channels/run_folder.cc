// Removing what a manifest entry names; see run_folder.h.
#include "channels/run_folder.h"

#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <optional>
#include <string>

namespace faultline {
namespace {

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

union SemctlArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
};

// SysV manifest entries are "ID KEY": ids are reused by the kernel, so the key is checked
// before removing, lest gc remove someone else's object that got the same id.
bool remove_sysv(std::string_view kind, std::string_view what) {
  auto space = what.find(' ');
  int id = -1;
  if (!parse_number(what.substr(0, space), id) || id < 0) return false;
  std::optional<key_t> key;
  if (space != std::string_view::npos) {
    key_t k = 0;
    if (!parse_number(what.substr(space + 1), k)) return false;
    key = k;
  }
  auto key_matches = [&](key_t actual) { return !key || *key == actual; };
  if (kind == "msg") {
    msqid_ds ds{};
    if (msgctl(id, IPC_STAT, &ds) != 0 || !key_matches(ds.msg_perm.__key)) return false;
    return msgctl(id, IPC_RMID, nullptr) == 0;
  }
  if (kind == "shm") {
    shmid_ds ds{};
    if (shmctl(id, IPC_STAT, &ds) != 0 || !key_matches(ds.shm_perm.__key)) return false;
    return shmctl(id, IPC_RMID, nullptr) == 0;
  }
  semid_ds ds{};
  SemctlArg arg{};
  arg.buf = &ds;
  if (semctl(id, 0, IPC_STAT, arg) != 0 || !key_matches(ds.sem_perm.__key)) return false;
  return semctl(id, 0, IPC_RMID) == 0;
}

}  // namespace

bool remove_recorded_object(std::string_view kind, std::string_view what) {
  if (kind == "msg" || kind == "shm" || kind == "sem") return remove_sysv(kind, what);
  std::string name(what);
  if (kind == "posix-mq") return ::mq_unlink(name.c_str()) == 0;
  if (kind == "posix-shm") return ::shm_unlink(name.c_str()) == 0;
  if (kind == "path") {
    struct stat st {};
    return ::lstat(name.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && ::unlink(name.c_str()) == 0;
  }
  return false;
}

std::string remove_sysv_object_by_key(std::string_view kind, std::string_view key_text) {
  key_t key = 0;
  if (!parse_number(key_text, key) || key == IPC_PRIVATE) return "";
  int id = kind == "msg"   ? msgget(key, 0)
           : kind == "shm" ? shmget(key, 0, 0)
           : kind == "sem" ? semget(key, 0, 0)
                           : -1;
  if (id < 0) return "";
  std::string what = std::to_string(id) + " " + std::string(key_text);
  return remove_sysv(kind, what) ? what : "";
}

}  // namespace faultline

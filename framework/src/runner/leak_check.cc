// collect_leaks(); see leak_check.h.
#include "runner/leak_check.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "faultline_control.h"

namespace faultline {
namespace {

std::string sysv_label(const char* what, int id, int key) {
  return key != IPC_PRIVATE
             ? fmt::format("{} id {} (key {:#x})", what, id, static_cast<unsigned>(key))
             : fmt::format("{} id {} (IPC_PRIVATE)", what, id);
}

// `owner`: only a file of that user's (gc: what the run made was its user's).
bool file_leaked(const std::string& path, mode_t type, std::optional<uid_t> owner, bool& removed) {
  struct stat st;
  if (path.empty() || ::lstat(path.c_str(), &st) != 0 || (st.st_mode & S_IFMT) != type ||
      (owner && st.st_uid != *owner))
    return false;
  removed = ::unlink(path.c_str()) == 0;
  return true;
}

bool is_channel(const ControlContext& context, const ControlBlock::Created& c) {
  return std::any_of(context.channels.begin(), context.channels.end(), [&](const auto& ch) {
    if (c.id >= 0 && ch.sysv_id == c.id) return true;
    return !c.path.empty() && ch.path == c.path;
  });
}

}  // namespace

bool sysv_record_holds(const ControlBlock::Created& record, const SysvObjectNow& now, bool late,
                       uid_t user) {
  if (late && (now.uid != user || now.cuid != user)) return false;
  if (record.key != IPC_PRIVATE) return now.key == record.key;
  if (now.key != IPC_PRIVATE) return false;  // another's, made with a key
  if (late && record.kind == FL_OBJECT_SHM) return now.cpid == record.pid;
  return true;
}

std::vector<Leak> collect_leaks(const ControlBlock& control, const ControlContext& context,
                                bool late) {
  std::vector<Leak> leaks;
  std::set<std::tuple<unsigned, int, std::string>> seen;
  const uid_t user = ::geteuid();
  const std::optional<uid_t> owner = late ? std::optional<uid_t>(user) : std::nullopt;
  auto holds = [&](const ControlBlock::Created& c, const ipc_perm& perm, pid_t cpid) {
    return sysv_record_holds(c, {perm.__key, perm.uid, perm.cuid, cpid}, late, user);
  };
  for (const auto& c : control.created()) {
    if (is_channel(context, c)) continue;
    if (!seen.insert({c.kind, c.id, c.path}).second) continue;
    Leak leak;
    leak.process = c.process;
    leak.pid = c.pid;
    leak.call = c.call;
    bool removed = false;
    bool leaked = false;
    switch (c.kind) {
      case FL_OBJECT_MSGQUEUE: {
        msqid_ds ds{};
        leaked = ::msgctl(c.id, IPC_STAT, &ds) == 0 && holds(c, ds.msg_perm, 0);
        if (leaked) removed = ::msgctl(c.id, IPC_RMID, nullptr) == 0;
        leak.object = sysv_label("System V message queue", c.id, c.key);
        break;
      }
      case FL_OBJECT_SHM: {
        shmid_ds ds{};
        leaked = ::shmctl(c.id, IPC_STAT, &ds) == 0 && holds(c, ds.shm_perm, ds.shm_cpid);
        if (leaked) removed = ::shmctl(c.id, IPC_RMID, nullptr) == 0;
        leak.object = sysv_label("System V shared memory segment", c.id, c.key);
        break;
      }
      case FL_OBJECT_SEMAPHORE: {
        semid_ds ds{};
        leaked = ::semctl(c.id, 0, IPC_STAT, &ds) == 0 && holds(c, ds.sem_perm, 0);
        if (leaked) removed = ::semctl(c.id, 0, IPC_RMID) == 0;
        leak.object = sysv_label("System V semaphore set", c.id, c.key);
        break;
      }
      case FL_OBJECT_FIFO:
        leaked = file_leaked(c.path, S_IFIFO, owner, removed);
        leak.object = "FIFO " + c.path;
        break;
      case FL_OBJECT_SOCKET:
        leaked = file_leaked(c.path, S_IFSOCK, owner, removed);
        leak.object = "Unix socket file " + c.path;
        break;
      case FL_OBJECT_POSIX_SHM: {
        struct stat st;
        leaked = ::stat(("/dev/shm" + c.path).c_str(), &st) == 0 && (!owner || st.st_uid == *owner);
        if (leaked) removed = ::shm_unlink(c.path.c_str()) == 0;
        leak.object = "POSIX shared memory " + c.path;
        break;
      }
      case FL_OBJECT_POSIX_MQ:
        // mq_unlink both tells whether it existed and removes it.
        leaked = removed = ::mq_unlink(c.path.c_str()) == 0;
        leak.object = "POSIX message queue " + c.path;
        break;
      default:
        break;
    }
    leak.removed = removed;
    if (leaked) leaks.push_back(std::move(leak));
  }
  return leaks;
}

}  // namespace faultline

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

bool file_leaked(const std::string& path, mode_t type, bool& removed) {
  struct stat st;
  if (path.empty() || ::lstat(path.c_str(), &st) != 0 || (st.st_mode & S_IFMT) != type)
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

std::vector<Leak> collect_leaks(const ControlBlock& control, const ControlContext& context) {
  std::vector<Leak> leaks;
  std::set<std::tuple<unsigned, int, std::string>> seen;
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
        leaked = ::msgctl(c.id, IPC_STAT, &ds) == 0 &&
                 (c.key == IPC_PRIVATE || ds.msg_perm.__key == c.key);
        if (leaked) removed = ::msgctl(c.id, IPC_RMID, nullptr) == 0;
        leak.object = sysv_label("System V message queue", c.id, c.key);
        break;
      }
      case FL_OBJECT_SHM: {
        shmid_ds ds{};
        leaked = ::shmctl(c.id, IPC_STAT, &ds) == 0 &&
                 (c.key == IPC_PRIVATE || ds.shm_perm.__key == c.key);
        if (leaked) removed = ::shmctl(c.id, IPC_RMID, nullptr) == 0;
        leak.object = sysv_label("System V shared memory segment", c.id, c.key);
        break;
      }
      case FL_OBJECT_SEMAPHORE: {
        semid_ds ds{};
        leaked = ::semctl(c.id, 0, IPC_STAT, &ds) == 0 &&
                 (c.key == IPC_PRIVATE || ds.sem_perm.__key == c.key);
        if (leaked) removed = ::semctl(c.id, 0, IPC_RMID) == 0;
        leak.object = sysv_label("System V semaphore set", c.id, c.key);
        break;
      }
      case FL_OBJECT_FIFO:
        leaked = file_leaked(c.path, S_IFIFO, removed);
        leak.object = "FIFO " + c.path;
        break;
      case FL_OBJECT_SOCKET:
        leaked = file_leaked(c.path, S_IFSOCK, removed);
        leak.object = "Unix socket file " + c.path;
        break;
      case FL_OBJECT_POSIX_SHM: {
        struct stat st;
        leaked = ::stat(("/dev/shm" + c.path).c_str(), &st) == 0;
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

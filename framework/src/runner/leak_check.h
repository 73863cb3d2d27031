// The leak check: IPC objects the processes created themselves (recorded by the
// interposer) that still exist when the run is over are reported and removed.
#pragma once

#include <sys/types.h>

#include <vector>

#include "faultline/run_result.h"
#include "faults/control_block.h"

namespace faultline {

// Every object of `control.created()` still on the machine, except the run's own channels
// (the runner provisioned and removes those). Each one is removed; Leak::removed says
// whether that worked. Never throws for the objects' sake. `late`: `faultline gc`'s check of
// a dead run, which may come long after the run's end, when a recorded System V id may have
// been removed and given to someone else's object (sysv_record_holds); then only objects of
// this process's user (effective uid) are removed, files and POSIX shared memory included.
[[nodiscard]] std::vector<Leak> collect_leaks(const ControlBlock& control,
                                              const ControlContext& context, bool late = false);

// What IPC_STAT (msgctl, shmctl, semctl) says of the System V object that has a recorded id now.
struct SysvObjectNow {
  int key = 0;     // ipc_perm.__key
  uid_t uid = 0;   // ipc_perm.uid: its owner
  uid_t cuid = 0;  // ipc_perm.cuid: its creator's
  pid_t cpid = 0;  // shm_cpid: its creator, for shared memory; 0 for the others (none kept)
};

// Whether the object that has `record.id` now is the one the run recorded. A key must match
// (a keyed id that was given again has another key, or the same key because its owner uses
// it: theirs either way). IPC_PRIVATE has no key to compare: at the end of a run, the id is
// trusted (the run's own processes are the ones likely to have it). `late` (gc, which runs
// later), the object must be of `user` (owner and creator: gc never removes another user's),
// and an IPC_PRIVATE shared memory segment must have been created by the recorded process
// (shm_cpid, which the kernel never changes). A message queue or semaphore set keeps no
// creator pid, and its ctime changes after creation (IPC_SET; SETVAL for a set): its owner is
// all there is to check.
[[nodiscard]] bool sysv_record_holds(const ControlBlock::Created& record, const SysvObjectNow& now,
                                     bool late, uid_t user);

}  // namespace faultline

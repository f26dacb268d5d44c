#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace herald::load {

/// CPU time and memory of a process, read from /proc.
struct proc_sample {
  bool valid = false;
  double cpu_seconds = 0;      ///< user + system time so far
  int64_t peak_rss_bytes = 0;  ///< VmHWM
  int64_t rss_bytes = 0;       ///< VmRSS
};

/// Reads /proc/<pid>/stat and /proc/<pid>/status; `valid` is false if the process is gone.
proc_sample sample_process(pid_t pid);

/// Returns the pids whose parent is `parent` (e.g. a postmaster's backends).
std::vector<pid_t> children_of(pid_t parent);

/// Returns the summed CPU seconds of `pid` and its direct children.
double tree_cpu_seconds(pid_t pid);

/// Returns the CPU seconds all processes of the machine used so far (busy time in /proc/stat).
double machine_busy_seconds();

/// Returns the context switches (voluntary and involuntary) of every thread of `pid` so far.
uint64_t context_switches(pid_t pid);

/// Returns how many file descriptors `pid` has open (entries of /proc/<pid>/fd), or -1.
int64_t open_fds(pid_t pid);

/// Returns the soft limit on open files of `pid` (/proc/<pid>/limits), or -1.
int64_t open_files_limit(pid_t pid);

}  // namespace herald::load

#include "tools/herald-load/interrupt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace herald::load {

namespace {

std::mutex mtx;
std::map<uint64_t, std::function<void()>> cleanups;  ///< by registration order
uint64_t next_id = 0;
int wake_fds[2] = {-1, -1};  ///< the handler writes the signal number, the watcher reads it

void on_signal(int sig) {
  auto byte = static_cast<char>(sig);
  auto saved = errno;
  (void)!write(wake_fds[1], &byte, 1);
  errno = saved;
}

}  // namespace

void exit_cleanly_on_interrupt() {
  // A handler and a self-pipe rather than a blocked mask: children (herald, psql, the scripts)
  // would inherit a mask across exec, while handlers reset to the default there.
  if (pipe2(wake_fds, O_CLOEXEC) != 0)
    return;
  struct sigaction action = {};
  action.sa_handler = on_signal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  std::thread{[] {
    char sig = 0;
    while (read(wake_fds[0], &sig, 1) < 0 && errno == EINTR) {
    }
    std::cerr << "herald-load: interrupted; cleaning up" << std::endl;
    // The lock stays held: no cleanup is unregistered (or run twice) while the process ends.
    mtx.lock();
    for (auto i = cleanups.rbegin(); i != cleanups.rend(); ++i)
      i->second();
    std::_Exit(128 + sig);
  }}.detach();
}

interrupt_cleanup::interrupt_cleanup(std::function<void()> undo) {
  std::lock_guard<std::mutex> guard{mtx};
  id_ = next_id++;
  cleanups.emplace(id_, std::move(undo));
}

interrupt_cleanup::~interrupt_cleanup() {
  std::lock_guard<std::mutex> guard{mtx};
  cleanups.erase(id_);
}

}  // namespace herald::load

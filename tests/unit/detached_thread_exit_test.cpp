// A detached actor frees OpenSSL's state of its thread on that thread, before the actor
// system counts the thread done (actors/node/detached_thread_exit.hpp says why).
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <thread>

#include <caf/all.hpp>
#include <openssl/rand.h>

#include "actors/node/detached_thread_exit.hpp"

namespace {

struct ThreadExitSeen {
  std::thread::id actor_thread, exit_thread;
  bool random_ok = false;
  std::atomic<bool> exited{false};
};

caf::behavior random_user(caf::event_based_actor* self, std::shared_ptr<ThreadExitSeen> seen) {
  // Attached first, so it runs after the OpenSSL functor (CAF runs the latest attached first).
  self->attach_functor([seen] {
    seen->exit_thread = std::this_thread::get_id();
    seen->exited = true;
  });
  trader::node::free_openssl_thread_state_at_exit(self);
  seen->actor_thread = std::this_thread::get_id();
  unsigned char bytes[16];
  seen->random_ok = RAND_bytes(bytes, sizeof bytes) == 1;  // this thread's random generators now exist
  self->quit();
  return {[](int) {}};
}

}  // namespace

TEST_CASE("a detached actor frees its thread's OpenSSL state on that thread, before the system is done with it") {
  auto seen = std::make_shared<ThreadExitSeen>();
  {
    caf::actor_system_config cfg;
    caf::actor_system system{cfg};
    system.spawn<caf::detached>(random_user, seen);
    system.await_all_actors_done();
  }  // the system's destructor waits for its detached threads
  CHECK(seen->random_ok);
  REQUIRE(seen->exited.load());
  CHECK(seen->exit_thread == seen->actor_thread);
  CHECK(seen->exit_thread != std::this_thread::get_id());
}

#pragma once
// A thread nobody joins frees OpenSSL's state of its own before it says it is done.
// Why: CAF 0.17 runs a detached actor on a thread it detaches, and counts the actor done
// (await_all_actors_done, the actor system's destructor) before that thread has exited.
// OpenSSL frees what it keeps per thread (the thread's random generators, which a TLS
// handshake or an ES256 signature creates) only at the thread's exit. A node returning
// from main just after its actors are done could run OpenSSL's atexit cleanup while such
// a thread was still exiting: that thread's state was then never freed (LeakSanitizer
// failed the node's exit), and both threads touched OpenSSL's globals at once. The same
// holds for the node's projection thread (libpq's TLS and SCRAM use OpenSSL).
#include <openssl/crypto.h>

namespace trader::node {

// Frees the calling thread's OpenSSL state now (a no-op where it has none). A detached
// std::thread calls it last, before it signals that it is done.
inline void free_openssl_thread_state() { OPENSSL_thread_stop(); }

// Call from a detached actor's behaviour factory: the functor runs on the actor's thread
// as it terminates, before CAF counts it done.
template <class Self>
void free_openssl_thread_state_at_exit(Self* self) {
  self->attach_functor([] { free_openssl_thread_state(); });
}

}  // namespace trader::node

#include "actors/node/node_projection.hpp"
#include "actors/node/detached_thread_exit.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace trader::node {

// Owned by the thread too: a thread still busy with a slow database when the node stops
// is left to finish on its own, and keeps what it uses alive.
struct NodeProjection::Shared {
  std::shared_ptr<journal::Reader> reader;
  std::string url, journal_dir;
  projection::ProjectOptions options;
  std::mutex mutex;
  std::condition_variable wake, finished;
  bool stopping = false, done = false;
};

namespace {

constexpr auto kPoll = std::chrono::milliseconds(200);
constexpr auto kFirstRetry = std::chrono::seconds(1);
constexpr auto kMaxRetry = std::chrono::seconds(30);

void follow(const std::shared_ptr<NodeProjection::Shared>& s) {
  std::unique_ptr<projection::Store> store;
  std::optional<projection::Projector> projector;
  std::string last_error;
  auto retry = std::chrono::milliseconds(0);
  bool last_round = false;
  for (;;) {
    {
      std::unique_lock lock(s->mutex);
      const auto wait = retry.count() > 0 ? retry : std::chrono::milliseconds(kPoll);
      s->wake.wait_for(lock, wait, [&] { return s->stopping; });
      last_round = s->stopping;
    }
    Status st;
    if (!store) {
      auto opened = projection::open_store(s->url);
      if (opened) store = std::move(*opened);
      else st = tl::unexpected(opened.error());
    }
    if (st && !projector) {
      // A journal is named by its first batch: before the node's first commit there is
      // nothing to project yet.
      auto summary = s->reader->summary();
      if (!summary) {
        st = tl::unexpected(summary.error());
      } else if (summary->batches > 0) {
        auto p = projection::Projector::open(*s->reader, *store, s->journal_dir, s->options);
        if (!p) st = tl::unexpected(p.error());
        else {
          projector.emplace(std::move(*p));
          spdlog::info("projection: {} into {}, from seq {}", projector->journal_id(), store->describe(),
                       projector->progress() + 1);
        }
      }
    }
    if (st && projector) {
      if (auto r = projector->catch_up(); !r) st = tl::unexpected(r.error());
    }
    if (st) {
      if (!last_error.empty() && projector)
        spdlog::info("projection: resumed, projected up to seq {}", projector->progress());
      last_error.clear();
      retry = std::chrono::milliseconds(0);
    } else {
      // Start again from the stored progress with a new connection, a little later each time.
      if (st.error().message != last_error)  // once per distinct failure, not once per retry
        spdlog::warn("projection: {} (trading goes on; retrying)", st.error().message);
      last_error = st.error().message;
      projector.reset();
      store.reset();
      retry = retry.count() == 0 ? std::chrono::milliseconds(kFirstRetry)
                                 : std::min<std::chrono::milliseconds>(retry * 2, kMaxRetry);
    }
    if (last_round) break;
  }
  if (!last_error.empty()) spdlog::warn("projection: stopped behind the journal; `trader-tools project` catches up");
  projector.reset();  // the connection closes first: closing it may still use OpenSSL
  store.reset();
  free_openssl_thread_state();  // nobody joins this thread (detached_thread_exit.hpp)
  std::lock_guard lock(s->mutex);
  s->done = true;
  s->finished.notify_all();
}

}  // namespace

NodeProjection::NodeProjection(std::shared_ptr<journal::Reader> reader, std::string db_url, std::string journal_dir,
                               projection::ProjectOptions options)
    : shared_(std::make_shared<Shared>()) {
  shared_->reader = std::move(reader);
  shared_->url = std::move(db_url);
  shared_->journal_dir = std::move(journal_dir);
  shared_->options = options;
  std::thread([s = shared_] { follow(s); }).detach();
}

NodeProjection::~NodeProjection() { stop(std::chrono::milliseconds(0)); }

void NodeProjection::stop(std::chrono::milliseconds grace) {
  std::unique_lock lock(shared_->mutex);
  if (!shared_->stopping) {
    shared_->stopping = true;
    shared_->wake.notify_all();
  }
  if (!shared_->finished.wait_for(lock, grace, [&] { return shared_->done; }) && grace.count() > 0)
    spdlog::warn("projection: still writing after {} ms; the node stops without waiting for it", grace.count());
}

}  // namespace trader::node

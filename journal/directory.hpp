#pragma once
// A journal directory: its own files, the lock its writer holds, and what a new session
// may do with a journal already there. Nothing a user recorded is removed unless they
// asked for it (Existing::replace), and never while a writer holds the journal.
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace trader::journal {

// The files a journal directory consists of (LMDB's data and lock files, the writer lock).
bool is_own_file(std::string_view name);

// An error if `path` (or the file a link there names) is a journal's own file: a report,
// a CSV or a model written there would destroy the journal. Output paths are checked with it.
Status refuse_own_file(const std::string& path);

// The names in `dir` that are not a journal's own files, sorted, the first five of them
// ("a, b/, c and 3 more"); "" when there are none. A new journal is created only where
// there are none: a user's directory never gets a journal among its files.
Result<std::string> files_not_of_a_journal(const std::string& dir);

// An error unless a new journal may be made at `dir`: it is missing, or a directory that
// is empty or holds only a journal's own files without its data. The error says what is
// there: a journal, a file, or the user's files (files_not_of_a_journal).
Status check_new_journal_dir(const std::string& dir);

// What to do with a journal already at the path a new session writes to.
enum class Existing {
  error,    // refuse, saying how many records it holds
  archive,  // move the directory aside to PATH.1 (or .2, ...): nothing is deleted
  replace,  // delete the journal's own files; refused if the directory holds anything else
};

// Makes `dir` ready for a new journal. Refuses (with the holder's pid) while another
// process has the journal open for writing. Returns what it did, for the log ("" when
// there was nothing to do).
Result<std::string> make_room(const std::string& dir, Existing how);

// Takes `dir`'s writer lock (an exclusive flock on writer.lock, the one a Writer holds) and
// returns its descriptor; closing it releases the lock. The error names the holder.
Result<int> take_writer_lock(const std::string& dir);

// The pid written in `dir`'s writer lock while a writer holds it, as text ("" if none
// holds it or it cannot be read).
std::string writer_lock_holder(const std::string& dir);

}  // namespace trader::journal

// Checkpoints of the SQLite write-ahead log, off the io thread.
//
// SQLite's automatic checkpoint runs inside the COMMIT that pushes the log past 1,000 frames, on
// the connection that committed: otpd's io thread. There it reads every frame back from the log,
// writes it into the database file and fsyncs both, while no login is served. With a million
// users most of a login's pages are its own, so that is about 2.6 page reads and 2.6 page writes
// per verification plus the fsyncs, all on the thread that answers logins.
//
// This moves that work to the syncer thread (commit_group.hpp), on a connection of its own: the
// io thread's commits only note that the log is due (SQLite's WAL hook, which replaces the
// automatic checkpoint), and after each sync the syncer runs a PASSIVE checkpoint, which never
// blocks the writer. It runs once that sync's replies are on their way (Store::after_sync): run
// before them, a checkpoint at a million users (milliseconds) held every reply of the group. The
// log's frames stay what recovery reads until the database file holds them and is synced, exactly
// as with the automatic checkpoint (synchronous=NORMAL checkpoints sync the log first and the
// database after), so durability is unchanged.
//
// A safety net: if the log still grows past foreground_frames (the checkpoints fail or cannot
// keep up), the committing connection checkpoints by itself as SQLite would.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

struct sqlite3;

namespace kotp::otpd {

class WalCheckpointer {
public:
    static constexpr int kDueFrames = 1000;         // SQLite's default wal_autocheckpoint
    static constexpr int kForegroundFrames = 20000;  // about 80 MiB of log

    explicit WalCheckpointer(std::string path, int due_frames = kDueFrames,
                             int foreground_frames = kForegroundFrames)
        : path_(std::move(path)), due_frames_(due_frames), foreground_frames_(foreground_frames) {}
    ~WalCheckpointer();
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Installs the WAL hook on the writing connection (after every open of it).
    void attach(sqlite3* writer) noexcept;

    // Runs a PASSIVE checkpoint if a commit found the log due. Any thread; a call while another
    // runs returns at once. A failure is logged once (and its end), and retried when due again.
    void run_if_due() noexcept;

    // Checkpoints run by run_if_due() and by the safety net, for tests and the log.
    unsigned long background_runs() const noexcept { return background_runs_.load(); }
    unsigned long foreground_runs() const noexcept { return foreground_runs_.load(); }

private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int frames) noexcept;
    bool open() noexcept;
    void close() noexcept;

    std::string path_;
    int due_frames_;
    int foreground_frames_;
    std::atomic<bool> due_{false};
    std::atomic<unsigned long> background_runs_{0};
    std::atomic<unsigned long> foreground_runs_{0};
    std::mutex mutex_;             // held while the connection below is used
    sqlite3* db_ = nullptr;        // the checkpointer's own connection, opened when first needed
    bool failing_ = false;
};

}  // namespace kotp::otpd

#include "wal_checkpointer.hpp"

#include <sqlite3.h>

#include "log.hpp"

namespace kotp::otpd {

WalCheckpointer::~WalCheckpointer() { close(); }

void WalCheckpointer::attach(sqlite3* writer) noexcept {
    // Replaces SQLite's automatic checkpoint (which is itself a WAL hook).
    sqlite3_wal_hook(writer, &WalCheckpointer::on_commit, this);
}

int WalCheckpointer::on_commit(void* arg, sqlite3* db, const char* schema, int frames) noexcept {
    auto* self = static_cast<WalCheckpointer*>(arg);
    if (frames >= self->foreground_frames_) {
        // The safety net: the background checkpoints are not keeping the log short.
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        self->foreground_runs_.fetch_add(1);
    } else if (frames >= self->due_frames_) {
        self->due_.store(true);
    }
    return SQLITE_OK;  // a checkpoint's trouble is never the commit's
}

bool WalCheckpointer::open() noexcept {
    if (db_ != nullptr) return true;
    // Never SQLITE_OPEN_CREATE (a vanished database must not come back empty); NOMUTEX: one
    // thread at a time, under mutex_.
    if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK ||
        sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
        close();
        return false;
    }
    return true;
}

void WalCheckpointer::close() noexcept {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void WalCheckpointer::run_if_due() noexcept {
    if (!due_.load()) return;
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || !due_.exchange(false)) return;
    int rc = open() ? sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr)
                    : SQLITE_CANTOPEN;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) rc = SQLITE_OK;  // another checkpoint runs: later
    if (rc == SQLITE_OK) {
        background_runs_.fetch_add(1);
        if (failing_) log_line(LogLevel::Notice, "KS1010 the write-ahead log is checkpointed again");
        failing_ = false;
        return;
    }
    const std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    close();  // opened afresh next time
    if (!failing_)
        log_line(LogLevel::Warning, "KS1010 cannot checkpoint the write-ahead log of " + path_ + ": " + why +
                                        " (retried when the log grows; logins go on)");
    failing_ = true;
}

}  // namespace kotp::otpd

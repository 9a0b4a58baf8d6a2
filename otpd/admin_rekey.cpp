#include "admin_rekey.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <exception>

#include "kotp/codec.hpp"
#include "kotp/wipe.hpp"
#include "log.hpp"

namespace kotp::otpd {
namespace {

std::string id_list(const std::vector<std::uint32_t>& ids) {
    std::string text;
    for (const auto id : ids) text += (text.empty() ? "" : ", ") + std::to_string(id);
    return text.empty() ? "none" : text;
}

// A copy of `keys` without the ids in `drop` and with `extra` (if given) as the new current key.
// MasterKeys cannot be copied (keys are wiped once, by their one owner), hence key by key.
MasterKeys key_file_contents(const MasterKeys& keys, const std::vector<std::uint32_t>& drop,
                             std::uint32_t extra_id = 0, const AesKey* extra = nullptr) {
    MasterKeys out;
    for (const auto id : keys.ids())
        if (id != keys.current_id() && std::find(drop.begin(), drop.end(), id) == drop.end())
            out.add(id, *keys.find(id));
    out.add(keys.current_id(), *keys.find(keys.current_id()));  // the loader makes the last line current
    if (extra != nullptr) out.add(extra_id, *extra);
    return out;
}

}  // namespace

ReplyFrame RekeyService::handle(const Peer& peer, const wire::AdminRekey& request) {
    if (request.action == wire::RekeyAction::Start) {
        if (status_.state != wire::RekeyState::Running) return start(peer, request.keep_old_keys);
        log_line(LogLevel::Notice, "admin rekey refused for uid=" + std::to_string(peer.uid) + ": run " +
                                       std::to_string(status_.run) + " is still running");
    }
    wire::RekeyStatus reply = status_;
    reply.accepted = false;
    return wire::encode_frame(reply);
}

ReplyFrame RekeyService::start(const Peer& peer, bool keep_old_keys) {
    const std::uint32_t new_id = keys_.next_id();
    if (new_id == 0 || keys_.ids().size() >= wire::kMaxMasterKeys)
        return error_frame(wire::Status::InternalError, "the master key file has no room for another key");
    AesKey key{};
    if (!random_.fill(key)) return error_frame(wire::Status::InternalError, "cannot get random bytes for a new key");
    // On disk first, durably: a secret sealed with a key the file does not hold would be lost
    // with the next restart.
    std::string error;
    const bool written = replace_master_key_file(key_path_, key_file_contents(keys_, {}, new_id, &key), error);
    if (written) keys_.add(new_id, key);
    OPENSSL_cleanse(key.data(), key.size());
    if (!written) {
        log_line(LogLevel::Error, "KS1010 admin rekey by uid=" + std::to_string(peer.uid) + " failed: " + error);
        return error_frame(wire::Status::InternalError,
                           error + " (rekey needs otpd to write the key file and its directory)");
    }

    std::uint64_t total = 0;
    for (const auto& [id, rows] : store_.sealed_key_ids())
        if (id != new_id) total += static_cast<std::uint64_t>(rows);
    wire::RekeyStatus next;
    next.run = status_.run + 1;
    next.state = wire::RekeyState::Running;
    next.key_id = new_id;
    next.total = total;
    next.started = clock_.now();
    next.by_uid = peer.uid;
    status_ = next;
    keep_old_keys_ = keep_old_keys;
    after_token_id_ = 0;
    record("started: key " + std::to_string(new_id) + " written to " + key_path_ + ", " + std::to_string(total) +
           " secret(s) to re-seal" + (keep_old_keys ? ", older keys kept" : ""));
    post_([this] { run_batch(); });
    wire::RekeyStatus reply = status_;
    reply.accepted = true;
    return wire::encode_frame(reply);
}

void RekeyService::run_batch() {
    std::uint64_t resealed = 0;
    std::uint64_t unreadable = 0;
    std::int64_t last_id = after_token_id_;
    std::size_t rows_seen = 0;
    try {
        Transaction txn(store_);
        const auto rows = store_.sealed_secrets_not_under(status_.key_id, after_token_id_, kRekeyBatch);
        rows_seen = rows.size();
        for (const auto& row : rows) {
            last_id = row.token_id;
            auto secret = box_.open(row.blob, row.user);
            if (!secret) {
                // Unknown key id or a damaged blob: this token cannot log in with any key we
                // hold; leave it, and keep whatever key its id names.
                ++unreadable;
                log_line(LogLevel::Warning, "admin rekey: the secret of token " + std::to_string(row.token_id) +
                                                " user=" + quoted(row.user) + " does not open (key id " +
                                                std::to_string(SecretBox::key_id_of(row.blob)) + "); left as it is");
                continue;
            }
            auto sealed = box_.seal(*secret, row.user);
            wipe(*secret);
            if (!sealed || SecretBox::key_id_of(*sealed) != status_.key_id)
                throw std::runtime_error("cannot seal a secret under key " + std::to_string(status_.key_id));
            // The row may have changed since it was read (a reset wipes it): then it is left.
            if (store_.replace_sealed_secret(row.token_id, row.blob, *sealed)) ++resealed;
        }
        txn.commit();
    } catch (const std::exception& e) {
        return fail(std::string("storage failure while re-sealing: ") + e.what());
    }
    // Counted only once the batch is durable.
    status_.resealed += resealed;
    status_.unreadable += unreadable;
    after_token_id_ = last_id;
    if (rows_seen < kRekeyBatch) return finish();
    post_([this] { run_batch(); });
}

void RekeyService::finish() {
    std::vector<std::uint32_t> removed;
    std::vector<std::uint32_t> kept;
    try {
        const auto counts = store_.sealed_key_ids();
        for (const auto id : keys_.ids()) {
            if (id == keys_.current_id()) continue;
            const auto it = counts.find(id);
            const bool in_use = it != counts.end() && it->second > 0;
            (keep_old_keys_ || in_use ? kept : removed).push_back(id);
        }
        if (!removed.empty()) {
            std::string error;
            if (!replace_master_key_file(key_path_, key_file_contents(keys_, removed), error))
                return fail("every secret is re-sealed under key " + std::to_string(status_.key_id) +
                            ", but the older keys could not be dropped from the key file: " + error);
            for (const auto id : removed) keys_.remove(id);
        }
    } catch (const std::exception& e) {
        return fail(std::string("storage failure at the end of the rekey: ") + e.what());
    }
    status_.state = wire::RekeyState::Done;
    status_.finished = clock_.now();
    status_.removed_key_ids = removed;
    status_.kept_key_ids = kept;
    record("finished: " + std::to_string(status_.resealed) + " secret(s) re-sealed under key " +
           std::to_string(status_.key_id) + ", " + std::to_string(status_.unreadable) +
           " would not open, keys removed: " + id_list(removed) + ", kept: " + id_list(kept));
    // Last, after the audit row: the write-ahead log then holds no page image with an old blob.
    try {
        store_.checkpoint();
    } catch (const std::exception& e) {
        log_line(LogLevel::Warning, std::string("admin rekey: cannot empty the write-ahead log: ") + e.what());
    }
}

void RekeyService::fail(const std::string& why) {
    status_.state = wire::RekeyState::Failed;
    status_.finished = clock_.now();
    status_.text = why.substr(0, wire::kMaxRekeyText);
    log_line(LogLevel::Error, "KS1010 admin rekey run " + std::to_string(status_.run) + " failed: " + why);
    record("failed after " + std::to_string(status_.resealed) + " secret(s) re-sealed: " + why);
}

void RekeyService::record(const std::string& what) {
    log_line(LogLevel::Notice, "admin rekey run " + std::to_string(status_.run) + " by uid=" +
                                   std::to_string(status_.by_uid) + " " + what);
    try {
        Transaction txn(store_);
        AuditEntry e;
        e.time = clock_.now();
        e.service = "kotp-admin";
        e.result = "rekey";
        e.detail = ("by uid " + std::to_string(status_.by_uid) + ": " + what).substr(0, wire::kMaxAuditDetail);
        store_.append_audit(e);
        txn.commit();
    } catch (const std::exception& e) {
        // The run itself is recorded where it matters (the key file, the rows); the log has it.
        log_line(LogLevel::Error, std::string("KS1010 cannot record the rekey in the audit table: ") + e.what());
    }
}

}  // namespace kotp::otpd

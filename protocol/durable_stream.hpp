#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <caf/meta/type_name.hpp>

namespace herald {

// The Durable Streams protocol's pure decisions (spec: PROTOCOL.md of
// durable-streams/durable-streams; what its conformance suite checks: docs/durable-streams.md):
// offsets, header values, content types, JSON mode, Stream-Seq, the long-poll cursor and
// idempotent producers. The HTTP front end and the stream actors apply them.

/// Renders the position after `records` records as a protocol offset:
/// "0000000000000000_" and the record count in 16 digits. Offsets sort as strings, and the
/// offset after record N of a Herald stream is the one whose number is its SSE id N.
std::string format_ds_offset(int64_t records);

/// Where a read starts, from the `offset` query parameter.
struct ds_read_start {
  enum class kind_t : uint8_t {
    start,  ///< absent or "-1": the beginning
    now,    ///< "now": the current tail, skipping what is there
    at,     ///< after `records` records
  };
  kind_t kind = kind_t::start;
  int64_t records = 0;
};

/// Parses an `offset` value: "-1", "now", or "<digits>_<digits>" (at most 16 each; the part
/// before `_` must be 0). Anything else, including "", is an `invalid_argument` error.
caf::expected<ds_read_start> parse_ds_offset(std::string_view text);

/// A content type as streams compare it: lower case, without parameters, trimmed;
/// "application/octet-stream" when absent or not of the form type/subtype.
std::string normalize_content_type(std::string_view text);

/// Whether a stream of (normalised) `content_type` is in JSON mode.
bool is_json_content_type(std::string_view content_type);

/// Whether SSE carries a stream's data as text (text/*, JSON) rather than base64.
bool is_text_content_type(std::string_view content_type);

/// Whether a `Stream-Closed` header value means closed: exactly "true", in any case.
bool ds_closed_value(std::string_view text);

/// Parses `Stream-TTL` seconds: "0" or digits without a leading zero; nothing otherwise.
std::optional<int64_t> parse_ds_ttl(std::string_view text);

/// Parses `Stream-Expires-At` (RFC 3339) into epoch milliseconds; nothing when malformed.
std::optional<int64_t> parse_ds_expires_at(std::string_view text);

/// Whether `next` may follow `last` as a `Stream-Seq` value: strictly greater, byte by byte
/// (any value may follow none).
bool ds_seq_advances(std::string_view last, std::string_view next);

/// The messages of a JSON-mode body: a top-level array gives its elements (one level only),
/// any other value is one message; each compact. An `invalid_argument` error for malformed JSON,
/// or for `[]` unless `allow_empty` (a create may start a stream empty).
caf::expected<std::vector<std::string>> ds_json_messages(std::string_view body, bool allow_empty);

/// The `Stream-Cursor` of a live read at `now_ms`: the number of 20 s intervals since
/// 2024-10-09T00:00:00Z, or, when the client's `cursor` is not behind it, the cursor plus a
/// jitter of 1 to 180 (from `random` in 1..3600), so that it always moves on.
int64_t ds_cursor(int64_t now_ms, std::optional<int64_t> client_cursor, uint32_t random);

/// What a stream remembers of one producer (`Producer-Id`).
struct ds_producer_state {
  int64_t epoch = 0;
  int64_t last_seq = 0;
};

/// The verdict on an append by a producer (`Producer-Epoch`, `Producer-Seq`).
enum class ds_producer_verdict : uint8_t {
  accept,       ///< append; the producer's state becomes (epoch, seq)
  duplicate,    ///< already appended: answer 204 without appending
  stale_epoch,  ///< 403: an older epoch than the stream knows
  gap,          ///< 409: a sequence number was skipped (or a new producer not at 0)
  bad_epoch,    ///< 400: a new epoch must start at sequence 0
};

/// Decides on (`epoch`, `seq`) from a producer whose state is `known` (nothing for a new one).
ds_producer_verdict decide_ds_producer(const std::optional<ds_producer_state>& known, int64_t epoch,
                                       int64_t seq);

/// Parses `Producer-Epoch` or `Producer-Seq`: digits, at most 2^53 - 1; nothing otherwise.
std::optional<int64_t> parse_ds_producer_number(std::string_view text);

/// A durable stream as stored. Its records are stream events (`stream_event`, stream id = `id`,
/// offsets 1, 2, 3, ...), like the streams of executions and tasks.
struct ds_stream_record {
  std::string id;            ///< this incarnation: a stream created again at a path gets a new one
  std::string org_id;        ///< whose it is
  std::string path;          ///< its name under /v1/stream/
  std::string content_type;  ///< normalised
  int64_t records = 0;       ///< how many records it has: its tail offset
  bool closed = false;
  std::string last_seq;       ///< the last `Stream-Seq` appended with, "" none
  int64_t ttl_s = -1;         ///< sliding time to live in seconds, -1 none
  int64_t expires_at_ms = 0;  ///< absolute expiry, 0 none
  int64_t last_access_ms = 0;
  int64_t created_ms = 0;
};

/// Whether `s` has expired at `now_ms` (its sliding TTL or its absolute expiry passed): it is
/// then gone, as if deleted.
bool ds_expired(const ds_stream_record& s, int64_t now_ms);

/// Encodes the body of one append (or of a create) as the payload of its record: the compact
/// JSON array of its messages in JSON mode, base64 of its bytes otherwise.
std::string ds_record_payload(const std::vector<std::string>& json_messages);
std::string ds_record_payload(std::string_view bytes);

/// Decodes the payloads of records, in order, into the body of a read: their bytes, or in JSON
/// mode one JSON array of all their messages.
std::string ds_read_body(bool json_mode, const std::vector<std::string>& payloads);

/// PUT: creates a stream (or confirms one created with the same configuration).
struct ds_create_request {
  std::string org_id;
  std::string path;
  std::string content_type;   ///< normalised
  int64_t ttl_s = -1;         ///< -1 none
  int64_t expires_at_ms = 0;  ///< 0 none
  bool closed = false;        ///< created closed: the body is all it will hold
  std::string body;           ///< initial data, raw
};

/// POST: appends a body, closes the stream, or both.
struct ds_append_request {
  std::string org_id;
  std::string path;
  std::string content_type;  ///< normalised; "" for a close without a body
  std::string body;          ///< raw; "" only with `close`
  bool close = false;
  std::string seq;  ///< `Stream-Seq`, "" none
};

/// What a create or an append did.
enum class ds_outcome : uint8_t {
  created,   ///< 201
  exists,    ///< 200: the same configuration already
  appended,  ///< 204
  closed,    ///< 409: the stream is closed (`stream` has its final tail)
};

/// The answer to a create, an append or a HEAD: the outcome and the stream after it.
struct ds_reply {
  ds_outcome outcome = ds_outcome::appended;
  ds_stream_record stream;
};

/// The answer to a catch-up read: the body and where the reader is now.
struct ds_read_reply {
  ds_stream_record stream;
  int64_t from = 0;  ///< records before the first one returned
  int64_t next = 0;  ///< records read through: the `Stream-Next-Offset`
  std::string body;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_create_request& x) {
  return f(caf::meta::type_name("ds_create_request"), x.org_id, x.path, x.content_type, x.ttl_s,
           x.expires_at_ms, x.closed, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_append_request& x) {
  return f(caf::meta::type_name("ds_append_request"), x.org_id, x.path, x.content_type, x.body,
           x.close, x.seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_reply& x) {
  return f(caf::meta::type_name("ds_reply"), x.outcome, x.stream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_read_reply& x) {
  return f(caf::meta::type_name("ds_read_reply"), x.stream, x.from, x.next, x.body);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_read_start& x) {
  return f(caf::meta::type_name("ds_read_start"), x.kind, x.records);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ds_stream_record& x) {
  return f(caf::meta::type_name("ds_stream_record"), x.id, x.org_id, x.path, x.content_type,
           x.records, x.closed, x.last_seq, x.ttl_s, x.expires_at_ms, x.last_access_ms,
           x.created_ms);
}

}  // namespace herald

#include "http/server.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <deque>
#include <mutex>

#include "core/log.hpp"

namespace linli::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
  ServerOptions opt;
  Dispatch dispatch;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{ioc};
  asio::thread_pool workers;  // writes: they wait on the store's group commit
  asio::thread_pool readers;  // reads: they keep the cores busy
  std::vector<std::thread> io_threads;
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::atomic<bool> stopping{false};
  std::once_flag stopped;

  Impl(ServerOptions o, Dispatch d)
      : opt(std::move(o)),
        dispatch(std::move(d)),
        workers(std::max(1, opt.workers)),
        readers(read_pool_size(opt.read_workers)) {}
  // Reads use the CPU and rarely wait: a thread or two per core. More only
  // adds context switches (case detail at 64 connections on 2 cores: 16
  // threads 8.6k req/s, 4 threads 10.6k). Writes wait for the single
  // writer, and the more of them wait, the larger its batch: they keep the
  // larger pool.
  static std::size_t read_pool_size(int asked) {
    if (asked > 0) return static_cast<std::size_t>(asked);
    return std::max(4u, 2 * std::thread::hardware_concurrency());
  }
  void accept();
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket&& s, Server::Impl& srv) : stream_(std::move(s)), srv_(srv) {
    ++srv_.connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ip_ = ep.address().to_string();
  }
  ~Connection() { --srv_.connections; }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Connection::read_header, shared_from_this()));
  }

 private:
  void read_header() {
    if (srv_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_.opt.header_limit));
    // Beast refuses a Content-Length above body_limit while it reads the
    // header, before we know the target: read it against the larger limit
    // and apply the route's own in on_header.
    parser_->body_limit(std::max(srv_.opt.body_limit, srv_.opt.upload_body_limit));
    upload_ = false;
    stream_.expires_after(first_ ? srv_.opt.header_timeout : srv_.opt.idle_timeout);
    first_ = false;
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Connection::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    head_ = parser_->get().method() == bhttp::verb::head;
    std::string_view target = parser_->get().target();
    // Spreadsheets and photos are larger than any JSON body.
    upload_ = target.starts_with("/api/v1/import/") || target.starts_with("/api/v1/blobs") ||
              target.starts_with("/api/v1/case-settings/calendar");
    if (ec) return on_error(ec);
    const std::size_t limit = upload_ ? srv_.opt.upload_body_limit : srv_.opt.body_limit;
    if (auto len = parser_->content_length(); len && *len > limit)
      return on_error(bhttp::error::body_limit);
    parser_->body_limit(limit);  // chunked bodies are cut while they are read
    stream_.expires_after(srv_.opt.body_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Connection::on_body, shared_from_this()));
  }

  void on_error(beast::error_code ec) {
    if (ec == bhttp::error::body_limit)
      return reply_error(
          413, upload_ ? fmt::format("上传的文件过大（上限{} MiB），请拆分后分批上传",
                                     srv_.opt.upload_body_limit >> 20)
                       : fmt::format("请求内容过大（上限{} KiB）", srv_.opt.body_limit >> 10));
    if (ec == bhttp::error::header_limit) return reply_error(431, "请求头过大");
    if (ec == bhttp::error::bad_target || ec == bhttp::error::bad_method ||
        ec == bhttp::error::bad_field || ec == bhttp::error::bad_value ||
        ec == bhttp::error::bad_version || ec == bhttp::error::bad_chunk ||
        ec == bhttp::error::bad_content_length)
      return reply_error(400, "请求格式不正确");
    close();
  }

  // An error found before a handler runs: answer once and close.
  void reply_error(int status, const std::string& detail) {
    nlohmann::json j = {
        {"type", "about:blank"}, {"title", detail}, {"status", status}, {"detail", detail}};
    Response r = Response::json(j, status);
    r.content_type = "application/problem+json; charset=utf-8";
    keep_alive_ = false;
    write(std::move(r));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec) return on_error(ec);
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive() && !srv_.stopping;
    auto req = std::make_shared<Request>();
    req->method = std::string(msg.method_string());
    req->target = std::string(msg.target());
    auto qpos = req->target.find('?');
    req->path = percent_decode(std::string_view(req->target).substr(0, qpos), false);
    if (qpos != std::string::npos)
      req->query = parse_query(std::string_view(req->target).substr(qpos + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req->headers[name] = std::string(f.value());
    }
    req->body = std::move(msg.body());
    req->remote_ip = remote_ip_;
    ++srv_.in_flight;
    // Handlers may block on the store: run them on a pool (reads and writes
    // apart, see Impl), then come back to this connection's executor to write.
    bool reads = req->method == "GET" || req->method == "HEAD";
    auto& pool = reads ? srv_.readers : srv_.workers;
    asio::post(pool, [self = shared_from_this(), req] {
      Response res;
      try {
        res = self->srv_.dispatch(*req);
      } catch (const std::exception& e) {
        log::error("handler threw", {{"what", e.what()}});
        res = Response::problem(Error::internal("服务器内部错误，请稍后再试"));
      }
      asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        --self->srv_.in_flight;
        self->write(std::move(res));
      });
    });
  }

  void write(Response r) {
    // HEAD of an event stream: the stream's header, then the next request;
    // the events (and the subscription behind them) are never started.
    const bool stream_head = r.on_stream && head_;
    if (r.on_stream && !head_) return start_stream(std::move(r));
    if (stream_head) r.content_type = "text/event-stream; charset=utf-8";
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    if (!r.content_type.empty()) res->set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    // RFC 9110 §8.6: no Content-Length on a 204, and on a 304 only the
    // length a 200 would have had; Beast would say 0.
    // A stream has no length: its end is the connection's.
    if (r.status == 204 || r.status == 304 || stream_head) res->content_length(boost::none);
    // A HEAD answer is GET's header, Content-Length included, without the
    // body: Beast writes whatever body the message holds.
    if (head_) res->body().clear();
    stream_.expires_after(srv_.opt.body_timeout);
    bhttp::async_write(stream_, *res,
                       [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (!self->keep_alive_) return self->linger_close();
                         self->read_header();
                       });
  }

  // SSE: headers now, events later through the sink; the response ends when
  // the client goes away (the body is delimited by closing the connection).
  class Sink : public EventSink {
   public:
    explicit Sink(std::shared_ptr<Connection> c) : conn_(std::move(c)) {}
    bool send(std::string chunk) override {
      auto c = conn_.lock();
      if (!c || c->stream_closed_) return false;
      asio::post(c->stream_.get_executor(),
                 [c, data = std::make_shared<std::string>(std::move(chunk))] {
                   c->queue_.push_back(data);
                   if (c->queue_.size() == 1) c->flush();
                 });
      return true;
    }
    bool open() const override {
      auto c = conn_.lock();
      return c && !c->stream_closed_;
    }

   private:
    std::weak_ptr<Connection> conn_;
  };

  void start_stream(Response r) {
    auto res = std::make_shared<bhttp::response<bhttp::empty_body>>();
    res->version(11);
    res->result(bhttp::status::ok);
    res->set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
    res->set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : r.headers)
      if (k != "Cache-Control") res->set(k, v);
    res->keep_alive(false);
    auto sr = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*res);
    stream_.expires_never();
    auto self = shared_from_this();
    bhttp::async_write_header(
        stream_, *sr,
        [self, res, sr, on_stream = std::move(r.on_stream)](beast::error_code ec, std::size_t) {
          if (ec) return self->close();
          on_stream(std::make_shared<Sink>(self));
          self->watch_for_close();
        });
  }

  void flush() {
    auto self = shared_from_this();
    asio::async_write(stream_.socket(), asio::buffer(*queue_.front()),
                      [self](beast::error_code ec, std::size_t) {
                        self->queue_.pop_front();
                        if (ec) {
                          self->stream_closed_ = true;
                          return self->close();
                        }
                        if (!self->queue_.empty()) self->flush();
                      });
  }

  // A read completes only when the client closes (it sends nothing more).
  void watch_for_close() {
    auto self = shared_from_this();
    stream_.socket().async_read_some(asio::buffer(sink_byte_),
                                     [self](beast::error_code ec, std::size_t) {
                                       if (ec) {
                                         self->stream_closed_ = true;
                                         return self->close();
                                       }
                                       self->watch_for_close();
                                     });
  }

  // Closing with unread request bytes (a refused oversize body) would reset
  // the connection and could destroy our answer before the client reads it:
  // stop sending, then read and drop what is still coming for a moment.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    auto self = shared_from_this();
    stream_.async_read_some(asio::buffer(sink_byte_), [self](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  Server::Impl& srv_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string remote_ip_;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD
  bool first_ = true;
  bool upload_ = false;  // this request may carry a file (upload_body_limit)
  std::atomic<bool> stream_closed_{false};
  std::deque<std::shared_ptr<std::string>> queue_;
  char sink_byte_[64];
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
    if (ec) {
      if (stopping || ec == asio::error::operation_aborted) return;
      // Out of descriptors: pause instead of spinning until timeouts free some.
      auto t = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(50));
      t->async_wait([this, t](beast::error_code) {
        if (!stopping) accept();
      });
      return;
    }
    if (stopping) return;
    std::make_shared<Connection>(std::move(s), *this)->run();
    accept();
  });
}

Server::Server(ServerOptions opt, Dispatch dispatch)
    : impl_(std::make_unique<Impl>(std::move(opt), std::move(dispatch))),
      in_flight_(impl_->in_flight),
      connections_(impl_->connections) {}

Server::~Server() { stop(); }

Result<std::uint16_t> Server::start() {
  // Every client holds a descriptor until a timeout closes it: take all the
  // operating system allows, so a burst of slow clients cannot exhaust them.
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &lim);
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(impl_->opt.host, ec);
  if (ec) return fail(Error::invalid("监听地址无效: " + impl_->opt.host));
  tcp::endpoint ep{addr, impl_->opt.port};
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return fail(Error::unavailable("无法监听 " + impl_->opt.host + ":" +
                                   std::to_string(impl_->opt.port) + ": " + ec.message()));
  auto port = acc.local_endpoint().port();
  impl_->work.emplace(impl_->ioc.get_executor());
  impl_->accept();
  for (int i = 0; i < std::max(1, impl_->opt.io_threads); ++i)
    impl_->io_threads.emplace_back([this] { impl_->ioc.run(); });
  return port;
}

void Server::stop() {
  if (!impl_) return;
  std::call_once(impl_->stopped, [this] {
    auto& im = *impl_;
    im.stopping = true;
    asio::post(im.ioc, [&im] {
      beast::error_code ec;
      im.acceptor.close(ec);
    });
    // Let requests already handed to a handler finish and be answered.
    auto deadline = std::chrono::steady_clock::now() + im.opt.drain_timeout;
    while (im.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the last writes flush
    im.work.reset();
    im.ioc.stop();
    for (auto& t : im.io_threads)
      if (t.joinable()) t.join();
    im.workers.join();
    im.readers.join();
  });
}

void Server::wait_for_signal() {
  asio::io_context sig_ioc;
  asio::signal_set signals(sig_ioc, SIGINT, SIGTERM);
  signals.async_wait([](beast::error_code, int sig) {
    log::info("signal received, draining", {{"signal", sig}});
  });
  sig_ioc.run();
  stop();
}

std::string percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view qs) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i <= qs.size()) {
    auto amp = qs.find('&', i);
    if (amp == std::string_view::npos) amp = qs.size();
    auto part = qs.substr(i, amp - i);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto val =
          eq == std::string_view::npos ? std::string{} : percent_decode(part.substr(eq + 1), true);
      out.emplace(std::move(key), std::move(val));
    }
    i = amp + 1;
  }
  return out;
}

}  // namespace linli::http

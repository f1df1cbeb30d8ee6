//! The server's header read timeout and its `tracing` output: the `nuages.access` log and
//! the `RequestLoggingMiddleware` (`nuages.request`), captured by a small in-test
//! subscriber (tests run on the current-thread runtime so the thread-local default
//! subscriber sees the server task's events).

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nuages_http::middleware::RequestLoggingMiddleware;
use nuages_http::server::serve_with_shutdown;
use nuages_http::{path, Conf, HttpError, HttpRequest, HttpResponse, Router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One captured event: target, level and its fields rendered as strings.
#[derive(Debug, Clone)]
struct Captured {
    target: String,
    level: tracing::Level,
    fields: HashMap<String, String>,
}

#[derive(Default)]
struct Collector {
    events: Arc<Mutex<Vec<Captured>>>,
    next_id: AtomicU64,
}

struct FieldVisitor<'a>(&'a mut HashMap<String, String>);

impl Visit for FieldVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Collector {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("nuages.")
    }
    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _span: &Id, _values: &Record<'_>) {}
    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut FieldVisitor(&mut fields));
        self.events.lock().unwrap().push(Captured {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
        });
    }
    fn enter(&self, _span: &Id) {}
    fn exit(&self, _span: &Id) {}
}

async fn ok(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::new("ok").content_type("text/plain"))
}

async fn boom(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::new("gone").status(http::StatusCode::GONE))
}

async fn start(router: Router) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve_with_shutdown(listener, router, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, tx)
}

async fn get(addr: std::net::SocketAddr, target: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn header_read_timeout_closes_the_connection() {
    let mut conf = (*Conf::for_tests()).clone();
    conf.http.header_read_timeout = 1;
    let router = Router::with_conf(Arc::new(conf), vec![path("ok", ok)]).unwrap();
    let (addr, tx) = start(router).await;

    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /ok HTTP/1.1\r\nHost: loc").await.unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    // hyper drops the connection once the headers are not complete in time; nothing
    // but possibly a 408 may come back, and never the view's response.
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "connection still open after 5 s");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "closed too early: {waited:?}"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");

    // A complete request on a fresh connection is still served.
    assert!(get(addr, "/ok").await.starts_with("HTTP/1.1 200"));
    let _ = tx.send(());
}

#[tokio::test]
async fn access_log_and_request_logging_events() {
    let collector = Collector::default();
    let events = collector.events.clone();
    let _guard = tracing::subscriber::set_default(collector);

    let router = Router::for_tests(vec![path("ok", ok), path("gone", boom)])
        .unwrap()
        .with_middleware(RequestLoggingMiddleware);
    let (addr, tx) = start(router).await;
    assert!(get(addr, "/ok?x=1").await.starts_with("HTTP/1.1 200"));
    assert!(get(addr, "/gone").await.starts_with("HTTP/1.1 410"));
    let _ = tx.send(());

    let events = events.lock().unwrap().clone();
    let access: Vec<_> = events.iter().filter(|e| e.target == "nuages.access").collect();
    assert_eq!(access.len(), 2, "{events:?}");
    let first = &access[0];
    assert_eq!(first.level, tracing::Level::INFO);
    assert_eq!(first.fields["method"], "GET");
    assert_eq!(first.fields["path"], "/ok");
    assert_eq!(first.fields["status"], "200");
    assert_eq!(first.fields["remote"], "127.0.0.1");
    assert!(first.fields["micros"].parse::<u64>().is_ok(), "{first:?}");
    assert_eq!(access[1].fields["path"], "/gone");
    assert_eq!(access[1].fields["status"], "410");

    let request: Vec<_> = events.iter().filter(|e| e.target == "nuages.request").collect();
    assert_eq!(request.len(), 2, "{events:?}");
    // The full path (with the query string); 2xx at info, 4xx at warn.
    assert_eq!(request[0].level, tracing::Level::INFO);
    assert_eq!(request[0].fields["method"], "GET");
    assert_eq!(request[0].fields["path"], "/ok?x=1");
    assert_eq!(request[0].fields["status"], "200");
    assert!(request[0].fields["duration_ms"].parse::<f64>().is_ok());
    assert_eq!(
        request[0].fields["message"],
        format!(
            "GET /ok?x=1 200 ({:.2} ms)",
            request[0].fields["duration_ms"].parse::<f64>().unwrap()
        )
    );
    assert_eq!(request[1].level, tracing::Level::WARN);
    assert_eq!(request[1].fields["status"], "410");
}

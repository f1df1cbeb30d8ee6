//! The real server over TCP: keep-alive, pipelining, `Server`/`Date` headers, bodies,
//! and graceful shutdown letting an in-flight request finish and closing idle connections.

use std::time::Duration;

use nuages_http::server::serve_with_shutdown;
use nuages_http::{path, HttpError, HttpRequest, HttpResponse, Router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn plaintext(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::with_content_type("Hello, World!", "text/plain"))
}

async fn slow(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(HttpResponse::new("slow done"))
}

async fn echo(r: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::new(format!(
        "{}|{}",
        r.POST().get("a").unwrap_or("-"),
        r.body().len()
    )))
}

async fn start() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let app = Router::for_tests(vec![
        path("plaintext", plaintext),
        path("slow", slow),
        path("echo", echo),
    ])
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        serve_with_shutdown(listener, app, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (addr, tx, handle)
}

async fn read_responses(stream: &mut TcpStream, count: usize) -> String {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while String::from_utf8_lossy(&buf).matches("HTTP/1.1 ").count() < count
        || !String::from_utf8_lossy(&buf).ends_with("Hello, World!")
            && !String::from_utf8_lossy(&buf).ends_with("done")
            && !String::from_utf8_lossy(&buf).contains("|")
    {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut tmp))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn keep_alive_pipelining_and_headers() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n";
    s.write_all(format!("{req}{req}{req}").as_bytes()).await.unwrap();
    let text = read_responses(&mut s, 3).await;
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 3, "{text}");
    assert!(text.contains("server: nuages"), "{text}");
    assert!(text.contains("date: "), "{text}");
    assert!(text.contains("content-length: 13"));
    // Same connection still usable.
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=1")
        .await
        .unwrap();
    let text = read_responses(&mut s, 1).await;
    assert!(text.ends_with("1|3"), "{text}");
    // A disallowed host through get_host is not used here; a 404 is a normal response.
    let _ = tx.send(());
    handle.await.unwrap();
}

#[tokio::test]
async fn head_has_headers_without_body() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"HEAD /plaintext HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("content-length: 13"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "no body after the headers: {text}");
    let _ = tx.send(());
    handle.await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = tx.send(());
    let text = read_responses(&mut s, 1).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with("slow done"));
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "listener closed after shutdown"
    );
}

/// An idle keep-alive connection is closed at shutdown, at once: the server does not
/// wait out the grace period (30 s) for a client that sends nothing more.
#[tokio::test]
async fn shutdown_closes_idle_connections() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /plaintext HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let text = read_responses(&mut s, 1).await;
    assert!(text.ends_with("Hello, World!"), "{text}");
    // Long enough for the connection to wait for its next request head.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .expect("the server waited for an idle connection")
        .unwrap();
    let mut rest = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 0, "closed without another response");
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_400() {
    let (addr, tx, handle) = start().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 400"));
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=zz\r\nContent-Length: 5\r\n\r\nhello")
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 400"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    let _ = tx.send(());
    handle.await.unwrap();
}

/// HTTP/2 with prior knowledge (h2c, no TLS and no upgrade): the auto builder detects
/// the HTTP/2 preface; two streams on one connection run concurrently.
#[tokio::test]
async fn http2_prior_knowledge() {
    let (addr, tx, handle) = start().await;
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut client = client.ready().await.unwrap();
    let mut pending = Vec::new();
    for path in ["/slow", "/plaintext"] {
        let request = http::Request::builder()
            .method("GET")
            .uri(format!("http://{addr}{path}"))
            .body(())
            .unwrap();
        let (response, _) = client.send_request(request, true).unwrap();
        pending.push(response);
    }
    let mut bodies = Vec::new();
    for response in pending {
        let response = tokio::time::timeout(Duration::from_secs(5), response)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["server"], "nuages");
        let mut body = response.into_body();
        let mut data = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            let _ = body.flow_control().release_capacity(chunk.len());
            data.extend_from_slice(&chunk);
        }
        bodies.push(String::from_utf8(data).unwrap());
    }
    assert_eq!(bodies, ["slow done", "Hello, World!"]);
    drop(client);
    let _ = tx.send(());
    tokio::time::timeout(Duration::from_secs(5), handle)
        .await
        .unwrap()
        .unwrap();
}

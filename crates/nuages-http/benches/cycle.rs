//! The in-process request cycle for the TechEmpower plaintext and JSON views: request
//! construction, URL resolution, the view, and the response conversion for hyper.

use criterion::{criterion_group, criterion_main, Criterion};
use http::HeaderValue;
use nuages_http::server::into_hyper;
use nuages_http::{path, HttpError, HttpRequest, HttpResponse, JsonResponse, Router};

async fn plaintext(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    Ok(HttpResponse::with_content_type("Hello, World!", "text/plain"))
}

async fn json(_r: HttpRequest) -> Result<HttpResponse, HttpError> {
    JsonResponse::new(&serde_json::json!({"message": "Hello, World!"}))
}

fn bench(c: &mut Criterion) {
    let app = Router::for_tests(vec![path("plaintext", plaintext), path("json", json)]).expect("urls");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let server = HeaderValue::from_static("nuages");
    for target in ["/plaintext", "/json"] {
        c.bench_function(&format!("cycle{target}"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    let request = HttpRequest::builder("GET", target)
                        .header("Host", "localhost")
                        .header("Accept", "*/*")
                        .conf(app.conf().clone())
                        .build();
                    let response = app.handle(request).await;
                    into_hyper(response, &server)
                })
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

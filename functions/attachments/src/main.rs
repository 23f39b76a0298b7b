//! `attachments`: files on an incident (S1) — declared, uploaded by the browser straight to S3
//! through a presigned URL, completed, listed with presigned downloads. The function never
//! carries the bytes, and it is the only HTTP function that links the S3 SDK or may touch the
//! bucket.

mod attachments;

pub struct App {
    pub store: store::Store,
    pub objects: bucket::AttachmentsBucket,
}

// One thread: a process serves one invocation at a time on a share of a vCPU (256 MB), so
// worker threads would only add to the cold start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    logging::init();
    let store = store::Store::from_env().await?;
    let objects = bucket::AttachmentsBucket(objects::Objects::from_env().await?);
    let routes = api::routes![App;
        "POST" "/incidents/{incident_id}/attachments" => attachments::create,
        "GET" "/incidents/{incident_id}/attachments" => attachments::list,
        "POST" "/incidents/{incident_id}/attachments/{attachment_id}/complete" => attachments::complete_upload,
    ];
    api::serve(App { store, objects }, routes).await
}

//! A posted form as its fields in order; checkboxes repeat a name, which a struct cannot say.

use axum::extract::{FromRequest, Request};
use axum::Form;

pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or "" (a form leaves out what the user left empty).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// A trimmed value, `None` when empty.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = crate::page::PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(Form(v)) => Ok(Self(v)),
            Err(e) => Err(crate::page::PageError::BadRequest(e.body_text())),
        }
    }
}

/// The query string the same way (htmx sends a form's fields as a GET's query).
pub struct QueryFields(pub Fields);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for QueryFields {
    type Rejection = crate::page::PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<Vec<(String, String)>>::from_request_parts(parts, state).await
        {
            Ok(axum::extract::Query(v)) => Ok(Self(Fields(v))),
            Err(e) => Err(crate::page::PageError::BadRequest(e.body_text())),
        }
    }
}

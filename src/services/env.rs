//! What the steps of one request share: the request's options, the base contexts already built,
//! and the notes that explain how the call was modelled.

use super::request::RequestOptions;
use crate::engine::Context;
use crate::world::{BaseRequest, ContextCache, Endpoint, World};

/// The shared state of one request's steps.
pub struct Env<'a> {
    pub options: RequestOptions<'a>,
    cache: &'a mut ContextCache,
    /// Notes about the whole call (which key encrypts, what was stored); kept when explaining.
    pub notes: Vec<String>,
    /// The ARN of the S3 access point the current S3 request goes through.
    pub access_point: Option<String>,
}

impl<'a> Env<'a> {
    pub fn new(options: RequestOptions<'a>, cache: &'a mut ContextCache) -> Env<'a> {
        Env {
            options,
            cache,
            notes: Vec::new(),
            access_point: None,
        }
    }

    pub fn explain(&self) -> bool {
        self.options.explain
    }

    /// Adds a note about the call, built only when explaining.
    pub fn note(&mut self, note: impl FnOnce() -> String) {
        if self.options.explain {
            self.notes.push(note());
        }
    }

    /// A text built only when explaining (empty otherwise).
    pub fn text(&self, text: &dyn Fn() -> String) -> String {
        if self.options.explain {
            text()
        } else {
            String::new()
        }
    }

    /// A one-note list, built only when explaining.
    pub fn list(&self, note: impl FnOnce() -> String) -> Vec<String> {
        if self.options.explain {
            vec![note()]
        } else {
            Vec::new()
        }
    }

    /// The VPC endpoint the request comes through.
    pub fn endpoint<'w>(&self, world: &'w World) -> Option<&'w Endpoint> {
        self.options.vpc_endpoint.and_then(|e| world.endpoint(e))
    }

    /// Drops the base contexts built so far: the world changed what they describe.
    pub fn forget_contexts(&mut self) {
        self.cache.clear();
    }

    /// The context keys AWS fills in for a request, from the cache (see
    /// [`ContextCache::context`]).
    pub fn base_context(&mut self, world: &World, request: &BaseRequest<'_>) -> Context {
        self.cache.context(world, request)
    }
}

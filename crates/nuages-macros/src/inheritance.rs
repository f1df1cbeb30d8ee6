//! Multi-table inheritance and proxy models in `#[derive(Model)]`.
//!
//! A child embeds its parent: `#[field(parent_link)] pub publication_ptr: Publication`.
//! The struct field is both Django's implicit `publication_ptr` one-to-one key (the
//! child's primary key) and the storage of the inherited values, which a derive could not
//! add to the struct otherwise; `Deref` to the parent gives Django's `book.title`.
//! A proxy is a one-field tuple struct, `#[model(proxy)] pub struct OrderedBook(pub Book);`,
//! whose metadata reuses the concrete model's table and fields.
//!
//! The hooks the main expansion (`codegen.rs`) calls are small; everything particular to
//! inheritance is here.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Result, Type};

use crate::attrs::ModelOpts;
use crate::model::{FieldInfo, ModelInfo};

fn err<T>(span: impl syn::spanned::Spanned, msg: impl std::fmt::Display) -> Result<T> {
    Err(syn::Error::new(span.span(), msg))
}

/// Checks a child's parent link and makes it the primary key, first among the fields.
/// Returns whether the model has one.
pub fn check_parent_link(fields: &mut Vec<FieldInfo>) -> Result<bool> {
    let links: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].is_parent_link())
        .collect();
    let Some(&pos) = links.first() else {
        return Ok(false);
    };
    if let Some(&second) = links.get(1) {
        return err(
            &fields[second].ident,
            "a model has one `parent_link` (multiple multi-table inheritance is not supported)",
        );
    }
    if let Some(pk) = fields.iter().find(|f| f.primary_key) {
        return err(
            &pk.ident,
            "a multi-table child's primary key is its parent link: remove `primary_key`",
        );
    }
    let parent = type_name(&fields[pos].inner);
    if let Some(id) = fields.iter().find(|f| f.name == "id" && !f.is_flatten()) {
        return err(
            &id.ident,
            format!("The field 'id' clashes with the field 'id' from model '{parent}'."),
        );
    }
    let mut link = fields.remove(pos);
    link.primary_key = true;
    fields.insert(0, link);
    Ok(true)
}

fn type_name(ty: &Type) -> String {
    crate::model::last_segment(ty)
        .map(|(i, _)| i.to_string())
        .unwrap_or_default()
}

/// The parent link of a child model.
pub fn parent_link(m: &ModelInfo) -> Option<&FieldInfo> {
    m.fields.iter().find(|f| f.is_parent_link())
}

/// `ModelMeta.parent` of the model.
pub fn meta_parent(m: &ModelInfo) -> TokenStream {
    let k = &m.opts.krate;
    match parent_link(m) {
        Some(f) => {
            let ty = &f.inner;
            let name = &f.name;
            quote!(::core::option::Option::Some(#k::models::meta::ParentLink {
                parent: <#ty as #k::Model>::meta,
                field: #name,
            }))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The parent's `ConcreteModel` path, for options a child inherits (`ORDERING`, ...).
pub fn parent_consts(m: &ModelInfo) -> Option<TokenStream> {
    let k = &m.opts.krate;
    parent_link(m).map(|f| {
        let ty = &f.inner;
        quote!(<#ty as #k::models::inheritance::ConcreteModel>)
    })
}

/// The parent's fields, listed before the parent link in the child's `fields`.
pub fn parent_fields_part(m: &ModelInfo, f: &FieldInfo) -> Option<(TokenStream, TokenStream)> {
    if !f.is_parent_link() {
        return None;
    }
    let k = &m.opts.krate;
    let ty = &f.inner;
    let c = quote!(<#ty as #k::models::inheritance::ConcreteModel>);
    Some((quote!(#c::FIELDS), quote!(#c::FIELDS.len())))
}

/// Row reading and field access of the parent link (one arm set of `accessors`).
pub struct LinkAccess {
    pub read: TokenStream,
    pub init: TokenStream,
    pub get_arm: TokenStream,
    pub set_arm: TokenStream,
    pub get_fallback: TokenStream,
    pub set_fallback: TokenStream,
}

pub fn link_access(m: &ModelInfo, f: &FieldInfo, local: &syn::Ident) -> LinkAccess {
    let k = &m.opts.krate;
    let id = &f.ident;
    let ty = &f.inner;
    let (name, attname) = (&f.name, &f.attname);
    let model = quote!(<#ty as #k::Model>);
    LinkAccess {
        // The parent's columns, then the link's own column (equal to the parent's key).
        read: quote! {
            let #local: #ty = <#ty as #k::models::inheritance::ConcreteModel>::read_row(row)?;
            let _: #k::Value = row.next()?;
        },
        init: quote!(#id: #local),
        get_arm: quote!(#name | #attname => ::core::option::Option::Some(#model::pk(&self.#id))),
        set_arm: quote!(#name | #attname => #model::set_field(&mut self.#id, #model::meta().pk().attname, value)?),
        get_fallback: quote! {
            if let ::core::option::Option::Some(v) = #model::get_field(&self.#id, name) {
                return ::core::option::Option::Some(v);
            }
        },
        set_fallback: quote!(_ if #model::meta().field(name).is_some() => #model::set_field(&mut self.#id, name, value)?),
    }
}

/// `set_related` for the names a child inherits (its parent's foreign keys loaded by
/// `select_related`): handed to the embedded parent.
pub fn related_fallback(m: &ModelInfo) -> TokenStream {
    let k = &m.opts.krate;
    match parent_link(m) {
        Some(f) => {
            let id = &f.ident;
            let ty = &f.inner;
            quote! {
                _ if <#ty as #k::Model>::meta().field(name).is_some() => {
                    <#ty as #k::Model>::set_related(&mut self.#id, name, object)
                }
            }
        }
        None => quote!(),
    }
}

/// A child without a `ModelState` field of its own uses its parent's.
pub fn state_fallback(m: &ModelInfo) -> TokenStream {
    let k = &m.opts.krate;
    match (parent_link(m), &m.state) {
        (Some(f), None) => {
            let id = &f.ident;
            let ty = &f.inner;
            quote! {
                fn state(&self) -> ::core::option::Option<&#k::models::state::ModelState> {
                    <#ty as #k::Model>::state(&self.#id)
                }
                fn state_mut(&mut self) -> ::core::option::Option<&mut #k::models::state::ModelState> {
                    <#ty as #k::Model>::state_mut(&mut self.#id)
                }
            }
        }
        _ => quote!(),
    }
}

/// `impl ConcreteModel` (every concrete model) and, for a child, `Deref` to the parent.
pub fn concrete_impl(m: &ModelInfo, reads: &[TokenStream], inits: &[TokenStream]) -> TokenStream {
    let k = &m.opts.krate;
    let ident = &m.ident;
    let db_table = &m.db_table;
    let mut out = quote! {
        impl #k::models::inheritance::ConcreteModel for #ident {
            const FIELDS: &'static [#k::models::meta::Field] = &__NUAGES_FIELDS;
            const DB_TABLE: &'static str = #db_table;
            const ORDERING: &'static [&'static str] = __NUAGES_META.ordering;
            const GET_LATEST_BY: &'static [&'static str] = __NUAGES_META.get_latest_by;
            const PARENT: ::core::option::Option<#k::models::meta::ParentLink> = __NUAGES_META.parent;

            fn read_row(row: &mut #k::models::model::ModelRow<'_>) -> #k::Result<Self> {
                #(#reads)*
                ::core::result::Result::Ok(#ident { #(#inits),* })
            }
        }
    };
    if let Some(f) = parent_link(m) {
        let id = &f.ident;
        let ty = &f.inner;
        out.extend(quote! {
            /// Django's attribute access to inherited fields (`book.title`).
            impl ::core::ops::Deref for #ident {
                type Target = #ty;
                fn deref(&self) -> &#ty {
                    &self.#id
                }
            }

            impl ::core::ops::DerefMut for #ident {
                fn deref_mut(&mut self) -> &mut #ty {
                    &mut self.#id
                }
            }
        });
    }
    out
}

/// The typed handles of a child: its `<Model>Fields` derefs to the parent's, rooted at
/// the same path, so `Book::fields().title()` is the inherited `title`.
pub fn fields_deref(
    m: &ModelInfo,
    fields_ident: &syn::Ident,
    pk_ty: &TokenStream,
) -> (TokenStream, TokenStream, TokenStream) {
    let k = &m.opts.krate;
    let typed = quote!(#k::query::typed);
    match parent_link(m) {
        Some(f) => {
            let ty = &f.inner;
            let parent_fields = quote!(<#ty as #typed::HasFields>::Fields);
            (
                quote!(parent: #parent_fields,),
                quote!(parent: <#parent_fields as #typed::ModelFields>::at(::core::clone::Clone::clone(&path)),),
                quote! {
                    impl ::core::ops::Deref for #fields_ident {
                        type Target = #parent_fields;
                        fn deref(&self) -> &Self::Target {
                            &self.parent
                        }
                    }
                },
            )
        }
        None => (
            quote!(),
            quote!(),
            quote! {
                impl ::core::ops::Deref for #fields_ident {
                    type Target = #typed::Related<#pk_ty>;
                    fn deref(&self) -> &Self::Target {
                        &self.rel
                    }
                }
            },
        ),
    }
}

/// True when `#[model(proxy)]` is given (the struct is expanded by [`expand_proxy`]).
pub fn is_proxy(input: &DeriveInput) -> Result<bool> {
    Ok(ModelOpts::parse(&input.attrs)?.proxy)
}

/// `#[model(proxy)] pub struct OrderedBook(pub Book);`: Django's `Meta.proxy = True`.
pub fn expand_proxy(input: &DeriveInput) -> Result<TokenStream> {
    let opts = ModelOpts::parse(&input.attrs)?;
    let k = &opts.krate;
    let ident = &input.ident;
    if !input.generics.params.is_empty() {
        return err(&input.generics, "a model cannot be generic");
    }
    let concrete = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Unnamed(u) if u.unnamed.len() == 1 => u.unnamed[0].ty.clone(),
            _ => return err(
                input,
                "a proxy model is a tuple struct of its concrete model: `pub struct OrderedBook(pub Book);`",
            ),
        },
        _ => return err(input, "a proxy model is a tuple struct of its concrete model"),
    };
    if opts.is_abstract {
        return err(ident, "a model cannot be both abstract and a proxy");
    }
    if opts.db_table.is_some()
        || !opts.indexes.is_empty()
        || !opts.constraints.is_empty()
        || !opts.unique_together.is_empty()
    {
        return err(
            ident,
            "a proxy model has its concrete model's table: db_table, indexes, constraints and unique_together \
             belong to the concrete model",
        );
    }
    let app_label = match &opts.app_label {
        Some(l) => l.value(),
        None => std::env::var("CARGO_CRATE_NAME").map_err(|_| {
            syn::Error::new(ident.span(), "no app label: add `#[model(app_label = \"...\")]`")
        })?,
    };
    let object_name = ident.to_string();
    let model_name = object_name.to_lowercase();
    let verbose_name = match &opts.verbose_name {
        Some(v) => v.value(),
        None => crate::util::camel_case_to_spaces(&object_name),
    };
    let verbose_name_plural = opts
        .verbose_name_plural
        .as_ref()
        .map(|v| v.value())
        .unwrap_or_else(|| format!("{verbose_name}s"));
    let meta = quote!(#k::models::meta);
    let c = quote!(<#concrete as #k::models::inheritance::ConcreteModel>);
    let cm = quote!(<#concrete as #k::Model>);
    let list = |v: &[syn::LitStr], inherited: TokenStream| {
        if v.is_empty() {
            inherited
        } else {
            quote!(&[#(#v),*])
        }
    };
    let ordering = list(&opts.ordering, quote!(#c::ORDERING));
    let get_latest_by = list(&opts.get_latest_by, quote!(#c::GET_LATEST_BY));
    let managed = opts.managed;
    let permissions = opts.permissions.iter().map(|(a, b)| quote!((#a, #b)));
    let default_related_name = match &opts.default_related_name {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    };
    let clean = if opts.custom_clean {
        quote!()
    } else {
        quote!(impl #k::models::validation::Clean for #ident {})
    };
    let fields_doc = format!("`{object_name}::fields()`: the typed handles of the concrete model.");
    let managers = crate::managers::meta_entries(&opts, ident);
    let default_manager = crate::managers::default_manager(&opts, ident);
    let manager_accessors = crate::managers::accessors(&opts, ident);
    Ok(quote! {
        #[allow(non_upper_case_globals, non_snake_case, clippy::all)]
        const _: () = {
            static __NUAGES_META: #meta::ModelMeta = #meta::ModelMeta {
                ordering: #ordering,
                get_latest_by: #get_latest_by,
                verbose_name: #verbose_name,
                verbose_name_plural: #verbose_name_plural,
                managed: #managed,
                permissions: &[#(#permissions),*],
                default_related_name: #default_related_name,
                proxy_for: ::core::option::Option::Some(#cm::meta),
                parent: #c::PARENT,
                managers: #managers,
                default_manager: #default_manager,
                ..#meta::ModelMeta::new(#app_label, #object_name, #model_name, #c::DB_TABLE, #c::FIELDS)
            };

            impl #k::Model for #ident {
                fn meta() -> &'static #meta::ModelMeta {
                    &__NUAGES_META
                }

                fn from_db(row: #k::models::model::ModelRow<'_>) -> #k::Result<Self> {
                    ::core::result::Result::Ok(#ident(#cm::from_db(row)?))
                }

                fn get_field(&self, name: &str) -> ::core::option::Option<#k::Value> {
                    #cm::get_field(&self.0, name)
                }

                fn set_field(&mut self, name: &str, value: #k::Value) -> #k::Result<()> {
                    #cm::set_field(&mut self.0, name, value)
                }

                fn state(&self) -> ::core::option::Option<&#k::models::state::ModelState> {
                    #cm::state(&self.0)
                }

                fn state_mut(&mut self) -> ::core::option::Option<&mut #k::models::state::ModelState> {
                    #cm::state_mut(&mut self.0)
                }

                fn set_related(
                    &mut self,
                    name: &str,
                    object: ::core::option::Option<#k::query::ModelObject>,
                ) -> #k::Result<()> {
                    #cm::set_related(&mut self.0, name, object)
                }
            }

            #clean

            #k::__private::inventory::submit! {
                #k::models::registry::ModelRegistration(<#ident as #k::Model>::meta)
            }

            #k::__private::inventory::submit! {
                #k::models::state::ModelBuilder {
                    meta: <#ident as #k::Model>::meta,
                    one: #k::models::state::build_one::<#ident>,
                    many: #k::models::state::build_many::<#ident>,
                }
            }
        };

        impl #k::query::typed::HasFields for #ident {
            type Fields = <#concrete as #k::query::typed::HasFields>::Fields;
        }

        impl #ident {
            #[doc = #fields_doc]
            pub fn fields() -> <#concrete as #k::query::typed::HasFields>::Fields {
                <<#concrete as #k::query::typed::HasFields>::Fields as #k::query::typed::ModelFields>::at(
                    ::std::string::String::new(),
                )
            }
        }

        impl ::core::ops::Deref for #ident {
            type Target = #concrete;
            fn deref(&self) -> &#concrete {
                &self.0
            }
        }

        impl ::core::ops::DerefMut for #ident {
            fn deref_mut(&mut self) -> &mut #concrete {
                &mut self.0
            }
        }

        #manager_accessors
    })
}

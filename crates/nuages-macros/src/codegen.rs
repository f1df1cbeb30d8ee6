//! The code `#[derive(Model)]` writes: the static `ModelMeta`, `impl Model`, the
//! registration, and the typed column handles (`<Model>Fields`, reverse-relation traits).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Expr, Ident, Result, Type};

use crate::attrs::ConstraintOpt;
use crate::model::{field_tokens, hidden, last_segment, FieldInfo, Kind, ModelInfo};
use crate::util::pascal;

fn lit_strs(v: &[syn::LitStr]) -> TokenStream {
    quote!(&[#(#v),*])
}

/// `fn __nuages_default_<field>() -> Value` for a field's `default`.
fn default_fn(m: &ModelInfo, f: &FieldInfo, expr: &Expr) -> TokenStream {
    let k = &m.opts.krate;
    let name = hidden("default", f);
    let inner = &f.inner;
    // A lower-case path is a function (Django's callable default); anything else a value.
    let value = match expr {
        Expr::Path(p) if p.path.is_ident("None") => quote!(#k::Value::Null),
        Expr::Path(p)
            if p.path.segments.last().is_some_and(|s| {
                s.ident
                    .to_string()
                    .starts_with(|c: char| c.is_lowercase() || c == '_')
            }) =>
        {
            call_default(k, f, inner, quote!(#p()))
        }
        other => call_default(k, f, inner, quote!(#other)),
    };
    quote! {
        fn #name() -> #k::Value {
            #value
        }
    }
}

fn call_default(k: &TokenStream, f: &FieldInfo, inner: &Type, value: TokenStream) -> TokenStream {
    match f.kind {
        Kind::Plain => quote! {{
            let value: #inner = ::core::convert::Into::into(#value);
            #k::IntoValue::into_value(value)
        }},
        _ => quote!(#k::IntoValue::into_value(#value)),
    }
}

fn model_meta(m: &ModelInfo) -> Result<TokenStream> {
    let k = &m.opts.krate;
    let meta = quote!(#k::models::meta);
    let o = &m.opts;
    let ordering = lit_strs(&o.ordering);
    let unique_together: Vec<TokenStream> = o.unique_together.iter().map(|g| lit_strs(g)).collect();
    let mut indexes = Vec::new();
    for i in &o.indexes {
        let name = match &i.name {
            Some(n) => n.value(),
            None => m.index_name(&i.fields, i.suffix()),
        };
        if name.len() > i.max_name_length() {
            return Err(syn::Error::new(
                i.span,
                format!(
                    "The index name '{name}' cannot be longer than {} characters.",
                    i.max_name_length()
                ),
            ));
        }
        indexes.push(i.tokens(k, &name)?);
    }
    let mut constraints = Vec::new();
    for c in &o.constraints {
        constraints.push(match c {
            ConstraintOpt::Unique {
                name,
                fields,
                condition,
            } => {
                let fields = lit_strs(fields);
                let condition = match condition {
                    Some(c) => {
                        let c = c.tokens(k)?;
                        quote!(::core::option::Option::Some(#c))
                    }
                    None => quote!(::core::option::Option::None),
                };
                quote!(#meta::Constraint::Unique { name: #name, fields: #fields, condition: #condition })
            }
            ConstraintOpt::Check { name, condition } => {
                let condition = condition.tokens(k)?;
                quote!(#meta::Constraint::Check { name: #name, condition: #condition })
            }
        });
    }
    let verbose_name = m.verbose_name();
    let verbose_name_plural = o
        .verbose_name_plural
        .as_ref()
        .map(|v| v.value())
        .unwrap_or_else(|| format!("{verbose_name}s"));
    let managed = o.managed;
    let permissions = o.permissions.iter().map(|(a, b)| quote!((#a, #b)));
    let opt = |v: &Option<syn::LitStr>| match v {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    };
    let default_related_name = opt(&o.default_related_name);
    let db_table_comment = opt(&o.db_table_comment);
    let get_latest_by = lit_strs(&o.get_latest_by);
    // Options the model does not set come from its first abstract base, as Django's
    // children inherit the base's Meta.
    let first_base = m.fields.iter().find(|f| f.is_flatten()).map(|f| {
        let ty = &f.ty;
        quote!(<#ty as #k::models::inheritance::AbstractModel>)
    });
    // A multi-table child inherits its parent's ordering and get_latest_by.
    let parent = crate::inheritance::parent_consts(m);
    let inherit = |own: TokenStream, empty: bool, name: TokenStream| match (&parent, &first_base, empty) {
        (Some(p), _, true) if name.to_string() == "ORDERING" || name.to_string() == "GET_LATEST_BY" => {
            quote!(#p::#name)
        }
        (_, Some(b), true) => quote!(#b::#name),
        _ => own,
    };
    let meta_parent = crate::inheritance::meta_parent(m);
    let ordering = inherit(ordering, o.ordering.is_empty(), quote!(ORDERING));
    let get_latest_by = inherit(get_latest_by, o.get_latest_by.is_empty(), quote!(GET_LATEST_BY));
    let unique_together = inherit(
        quote!(&[#(#unique_together),*]),
        o.unique_together.is_empty(),
        quote!(UNIQUE_TOGETHER),
    );
    let permissions: Vec<TokenStream> = permissions.collect();
    let permissions = inherit(
        quote!(&[#(#permissions),*]),
        o.permissions.is_empty(),
        quote!(PERMISSIONS),
    );
    let app_label = &m.app_label;
    let object_name = m.ident.to_string();
    let model_name = &m.model_name;
    let db_table = &m.db_table;
    let generic_meta = crate::generic::meta_fields(m);
    let managers = crate::managers::meta_entries(o, &m.ident);
    let default_manager = crate::managers::default_manager(o, &m.ident);
    Ok(quote! {
        #meta::ModelMeta {
            ordering: #ordering,
            unique_together: #unique_together,
            indexes: &[#(#indexes),*],
            constraints: &[#(#constraints),*],
            verbose_name: #verbose_name,
            verbose_name_plural: #verbose_name_plural,
            managed: #managed,
            permissions: #permissions,
            default_related_name: #default_related_name,
            get_latest_by: #get_latest_by,
            db_table_comment: #db_table_comment,
            #generic_meta
            parent: #meta_parent,
            managers: #managers,
            default_manager: #default_manager,
            ..#meta::ModelMeta::new(#app_label, #object_name, #model_name, #db_table, &__NUAGES_FIELDS)
        }
    })
}

/// The pieces shared by concrete models and abstract bases: row reading (locals and the
/// struct literal) and the `get_field`/`set_field` match arms.
struct Accessors {
    reads: Vec<TokenStream>,
    inits: Vec<TokenStream>,
    get_arms: Vec<TokenStream>,
    set_arms: Vec<TokenStream>,
    get_fallbacks: Vec<TokenStream>,
}

fn accessors(m: &ModelInfo) -> Accessors {
    let k = &m.opts.krate;
    let base = quote!(#k::models::inheritance::AbstractModel);
    let mut a = Accessors {
        reads: Vec::new(),
        inits: Vec::new(),
        get_arms: Vec::new(),
        set_arms: Vec::new(),
        get_fallbacks: Vec::new(),
    };
    for f in &m.fields {
        let id = &f.ident;
        let ty = &f.ty;
        let local = hidden("value", f);
        if f.is_parent_link() {
            let l = crate::inheritance::link_access(m, f, &local);
            a.reads.push(l.read);
            a.inits.push(l.init);
            a.get_arms.push(l.get_arm);
            a.set_arms.push(l.set_arm);
            a.get_fallbacks.push(l.get_fallback);
            a.set_arms.push(l.set_fallback);
            continue;
        }
        match f.kind {
            Kind::ManyToMany { .. } => {
                a.inits.push(quote!(#id: ::core::default::Default::default()));
                continue;
            }
            Kind::Flatten => {
                a.reads
                    .push(quote!(let #local: #ty = <#ty as #base>::from_row(row)?;));
                a.inits.push(quote!(#id: #local));
                a.get_fallbacks.push(quote! {
                    if let ::core::option::Option::Some(v) = <#ty as #base>::get_field(&self.#id, name) {
                        return ::core::option::Option::Some(v);
                    }
                });
                a.set_arms.push(quote!(_ if <#ty as #base>::has_field(name) => <#ty as #base>::set_field(&mut self.#id, name, value)?));
                continue;
            }
            _ => {}
        }
        a.reads.push(quote!(let #local: #ty = row.next()?;));
        a.inits.push(quote!(#id: #local));
        let names = if f.name == f.attname {
            let n = &f.name;
            quote!(#n)
        } else {
            let (n, at) = (&f.name, &f.attname);
            quote!(#n | #at)
        };
        let value = match f.kind {
            Kind::ForeignKey { .. } if f.nullable => quote! {
                match &self.#id {
                    ::core::option::Option::Some(fk) => #k::IntoValue::into_value(fk),
                    ::core::option::Option::None => #k::Value::Null,
                }
            },
            Kind::ForeignKey { .. } => quote!(#k::IntoValue::into_value(&self.#id)),
            // An auto key holding 0 has not been saved yet: Django's `None`.
            _ if f.auto && !f.nullable => quote! {{
                let value = #k::IntoValue::into_value(::core::clone::Clone::clone(&self.#id));
                if value == #k::Value::Int(0) { #k::Value::Null } else { value }
            }},
            _ => quote!(#k::IntoValue::into_value(::core::clone::Clone::clone(&self.#id))),
        };
        a.get_arms
            .push(quote!(#names => ::core::option::Option::Some(#value)));
        a.set_arms.push(if f.auto && !f.nullable {
            quote!(#names => {
                self.#id = <::core::option::Option<#ty> as #k::FromValue>::from_value(value)?.unwrap_or_default()
            })
        } else {
            quote!(#names => self.#id = #k::FromValue::from_value(value)?)
        });
    }
    a
}

fn impl_model(m: &ModelInfo) -> TokenStream {
    let k = &m.opts.krate;
    let ident = &m.ident;
    let Accessors {
        reads,
        mut inits,
        get_arms,
        set_arms,
        get_fallbacks,
    } = accessors(m);
    let object_name = ident.to_string();
    let state = match &m.state {
        None => crate::inheritance::state_fallback(m),
        Some(id) => {
            inits.push(quote!(#id: ::core::default::Default::default()));
            quote! {
                fn state(&self) -> ::core::option::Option<&#k::models::state::ModelState> {
                    ::core::option::Option::Some(&self.#id)
                }
                fn state_mut(&mut self) -> ::core::option::Option<&mut #k::models::state::ModelState> {
                    ::core::option::Option::Some(&mut self.#id)
                }
            }
        }
    };
    inits.extend(crate::generic::inits(m));
    let generic_arms = crate::generic::related_arms(m);
    // select_related / prefetched forward keys go into their handles.
    let related_arms = m.fields.iter().filter(|f| !f.is_parent_link()).filter_map(|f| {
        let Kind::ForeignKey { target, .. } = &f.kind else { return None };
        let id = &f.ident;
        let name = &f.name;
        let build = quote!(<#target as #k::Model>::from_object(o)?);
        Some(if f.nullable {
            quote! {
                #name => {
                    if let (::core::option::Option::Some(fk), ::core::option::Option::Some(o)) = (self.#id.as_mut(), object) {
                        fk.set_loaded(#build);
                    }
                    ::core::result::Result::Ok(())
                }
            }
        } else {
            quote! {
                #name => {
                    if let ::core::option::Option::Some(o) = object {
                        self.#id.set_loaded(#build);
                    }
                    ::core::result::Result::Ok(())
                }
            }
        })
    });
    let concrete = crate::inheritance::concrete_impl(m, &reads, &inits);
    let related_fallback = crate::inheritance::related_fallback(m);
    quote! {
        #concrete

        impl #k::Model for #ident {
            fn meta() -> &'static #k::models::meta::ModelMeta {
                &__NUAGES_META
            }

            fn from_db(mut row: #k::models::model::ModelRow) -> #k::Result<Self> {
                <Self as #k::models::inheritance::ConcreteModel>::read_row(&mut row)
            }

            fn get_field(&self, name: &str) -> ::core::option::Option<#k::Value> {
                match name {
                    #(#get_arms,)*
                    _ => {
                        #(#get_fallbacks)*
                        ::core::option::Option::None
                    }
                }
            }

            fn set_field(&mut self, name: &str, value: #k::Value) -> #k::Result<()> {
                match name {
                    #(#set_arms,)*
                    _ => {
                        return ::core::result::Result::Err(#k::DbError::FieldDoesNotExist(::std::format!(
                            "{} has no field named '{}'", #object_name, name
                        )))
                    }
                }
                ::core::result::Result::Ok(())
            }

            #state

            fn set_related(
                &mut self,
                name: &str,
                object: ::core::option::Option<#k::query::ModelObject>,
            ) -> #k::Result<()> {
                match name {
                    #(#related_arms)*
                    #(#generic_arms)*
                    #related_fallback
                    _ => #k::models::state::store_related(self, name, object),
                }
            }
        }
    }
}

/// `#[model(abstract)]`: `impl AbstractModel` and the `<Base>Lookups` trait that gives
/// concrete models' handles the inherited fields.
pub fn expand_abstract(m: &ModelInfo) -> Result<TokenStream> {
    if let Some(manager) = m.opts.managers.first() {
        return Err(syn::Error::new(
            manager.name.span(),
            "managers are declared on concrete or proxy models, not on abstract bases",
        ));
    }
    let k = &m.opts.krate;
    let ident = &m.ident;
    let vis = &m.vis;
    let typed = quote!(#k::query::typed);
    let mut defaults = Vec::new();
    let mut fields = Vec::new();
    for f in &m.fields {
        let default = match &f.opts.default {
            Some(expr) => {
                defaults.push(default_fn(m, f, expr));
                Some(hidden("default", f))
            }
            None => None,
        };
        fields.push(field_tokens(m, f, default.as_ref())?);
    }
    let o = &m.opts;
    if !o.indexes.is_empty() || !o.constraints.is_empty() {
        return Err(syn::Error::new(
            ident.span(),
            "indexes and constraints of an abstract base need per-model names: declare them on the concrete models",
        ));
    }
    let ordering = lit_strs(&o.ordering);
    let get_latest_by = lit_strs(&o.get_latest_by);
    let unique_together: Vec<TokenStream> = o.unique_together.iter().map(|g| lit_strs(g)).collect();
    let permissions = o.permissions.iter().map(|(a, b)| quote!((#a, #b)));
    let Accessors {
        reads,
        inits,
        get_arms,
        set_arms,
        ..
    } = accessors(m);
    let object_name = ident.to_string();
    let lookups_trait = format_ident!("{}Lookups", ident);
    let methods = m.fields.iter().map(|f| {
        let id = &f.ident;
        let name = &f.name;
        let doc = format!("The inherited `{name}` field.");
        match &f.kind {
            Kind::ForeignKey { target, .. } => {
                let fields = fields_of(k, target);
                let attname_ident = format_ident!("{}", f.attname);
                let attname = &f.attname;
                quote! {
                    #[doc = #doc]
                    fn #id(&self) -> #fields {
                        <#fields as #typed::ModelFields>::at(#typed::join(#typed::ModelFields::path(self), #name))
                    }
                    #[doc = #doc]
                    fn #attname_ident(&self) -> #typed::Column<<#fields as #typed::ModelFields>::Pk> {
                        #typed::Column::new(#typed::join(#typed::ModelFields::path(self), #attname))
                    }
                }
            }
            _ => {
                let inner = &f.inner;
                quote! {
                    #[doc = #doc]
                    fn #id(&self) -> #typed::Column<#inner> {
                        #typed::Column::new(#typed::join(#typed::ModelFields::path(self), #name))
                    }
                }
            }
        }
    });
    let trait_doc = format!("Typed handles of the fields inherited from [`{ident}`].");
    Ok(quote! {
        #[allow(non_upper_case_globals, non_snake_case, clippy::all)]
        const _: () = {
            #(#defaults)*

            impl #k::models::inheritance::AbstractModel for #ident {
                const FIELDS: &'static [#k::models::meta::Field] = &[#(#fields),*];
                const ORDERING: &'static [&'static str] = #ordering;
                const GET_LATEST_BY: &'static [&'static str] = #get_latest_by;
                const UNIQUE_TOGETHER: &'static [&'static [&'static str]] = &[#(#unique_together),*];
                const PERMISSIONS: &'static [(&'static str, &'static str)] = &[#(#permissions),*];

                fn from_row(row: &mut #k::models::model::ModelRow) -> #k::Result<Self> {
                    #(#reads)*
                    ::core::result::Result::Ok(#ident { #(#inits),* })
                }

                fn get_field(&self, name: &str) -> ::core::option::Option<#k::Value> {
                    match name {
                        #(#get_arms,)*
                        _ => ::core::option::Option::None,
                    }
                }

                fn set_field(&mut self, name: &str, value: #k::Value) -> #k::Result<()> {
                    match name {
                        #(#set_arms,)*
                        _ => {
                            return ::core::result::Result::Err(#k::DbError::FieldDoesNotExist(::std::format!(
                                "{} has no field named '{}'", #object_name, name
                            )))
                        }
                    }
                    ::core::result::Result::Ok(())
                }
            }
        };

        #[doc = #trait_doc]
        #vis trait #lookups_trait: #typed::ModelFields {
            #(#methods)*
        }
    })
}

/// The type a relation's handles come from: `<Author as HasFields>::Fields`.
fn fields_of(k: &TokenStream, target: &Type) -> TokenStream {
    quote!(<#target as #k::query::typed::HasFields>::Fields)
}

/// The path of a target model's generated `<Model>Fields` struct (same module as the model).
fn fields_struct_path(target: &Type) -> Option<syn::Path> {
    let Type::Path(p) = target else { return None };
    let mut path = p.path.clone();
    let last = path.segments.last_mut()?;
    last.ident = format_ident!("{}Fields", last.ident);
    last.arguments = syn::PathArguments::None;
    Some(path)
}

fn typed_handles(m: &ModelInfo) -> TokenStream {
    let k = &m.opts.krate;
    let typed = quote!(#k::query::typed);
    let ident = &m.ident;
    let vis = &m.vis;
    let fields_ident = format_ident!("{}Fields", ident);
    let pk = m.pk();
    let pk_ty = match &pk.kind {
        Kind::ForeignKey { target, .. } => {
            let f = fields_of(k, target);
            quote!(<#f as #typed::ModelFields>::Pk)
        }
        _ => {
            let t = &pk.inner;
            quote!(#t)
        }
    };
    let base_impls = m.fields.iter().filter(|f| f.is_flatten()).filter_map(|f| {
        let Type::Path(p) = &f.ty else { return None };
        let mut path = p.path.clone();
        let last = path.segments.last_mut()?;
        last.ident = format_ident!("{}Lookups", last.ident);
        last.arguments = syn::PathArguments::None;
        Some(quote!(impl #path for #fields_ident {}))
    });
    let methods = m.fields.iter().filter(|f| !f.is_flatten()).map(|f| {
        let id = &f.ident;
        let name = &f.name;
        let doc = format!("The `{name}` field.");
        match &f.kind {
            Kind::Flatten => quote!(),
            Kind::Plain => {
                let inner = &f.inner;
                quote! {
                    #[doc = #doc]
                    pub fn #id(&self) -> #typed::Column<#inner> {
                        #typed::Column::new(self.rel.join(#name))
                    }
                }
            }
            Kind::ForeignKey { target, .. } | Kind::ManyToMany { target } => {
                let fields = fields_of(k, target);
                let mut out = quote! {
                    #[doc = #doc]
                    pub fn #id(&self) -> #fields {
                        <#fields as #typed::ModelFields>::at(self.rel.join(#name))
                    }
                };
                if let Kind::ForeignKey { .. } = f.kind {
                    let attname_ident = format_ident!("{}", f.attname);
                    let attname = &f.attname;
                    let doc = format!("The `{attname}` column (the raw key).");
                    out.extend(quote! {
                        #[doc = #doc]
                        pub fn #attname_ident(&self) -> #typed::Column<<#fields as #typed::ModelFields>::Pk> {
                            #typed::Column::new(self.rel.join(#attname))
                        }
                    });
                }
                out
            }
        }
    });
    let reverse = m.fields.iter().filter_map(|f| reverse_trait(m, f, &fields_ident));
    let accessors = m.fields.iter().filter_map(|f| instance_accessors(m, f));
    let struct_doc = format!("Typed column handles of [`{ident}`], generated by `#[derive(Model)]`.");
    let (parent_field, parent_init, deref) = crate::inheritance::fields_deref(m, &fields_ident, &pk_ty);
    quote! {
        #[doc = #struct_doc]
        #vis struct #fields_ident {
            #parent_field
            rel: #typed::Related<#pk_ty>,
        }

        impl #typed::ModelFields for #fields_ident {
            type Pk = #pk_ty;
            fn at(path: ::std::string::String) -> Self {
                #fields_ident { #parent_init rel: #typed::Related::new(path) }
            }
            fn path(&self) -> &str {
                self.rel.path()
            }
        }

        #deref

        impl #fields_ident {
            /// The primary key (`pk`).
            pub fn pk(&self) -> #typed::Column<#pk_ty> {
                #typed::Column::new(self.rel.join("pk"))
            }

            #(#methods)*

            #[doc(hidden)]
            pub fn __and(&self, lookups: ::std::vec::Vec<#typed::Lookup>) -> #typed::Where {
                #typed::and(lookups)
            }
        }

        impl #k::query::typed::HasFields for #ident {
            type Fields = #fields_ident;
        }

        impl #ident {
            /// The typed column handles rooted at this model (`Book::fields().title()`).
            pub fn fields() -> #fields_ident {
                <#fields_ident as #typed::ModelFields>::at(::std::string::String::new())
            }
        }

        #(#reverse)*

        #(#accessors)*

        #(#base_impls)*
    }
}

/// `related_name` after `default_related_name`'s placeholders, and the query name.
fn related_names(m: &ModelInfo, f: &FieldInfo) -> (Option<String>, String) {
    let related_name = f.opts.related_name.as_ref().map(|r| r.value()).or_else(|| {
        m.opts.default_related_name.as_ref().map(|d| {
            d.value()
                .replace("%(class)s", &m.model_name)
                .replace("%(model_name)s", &m.model_name)
                .replace("%(app_label)s", &m.app_label.to_lowercase())
        })
    });
    let query_name = f
        .opts
        .related_query_name
        .as_ref()
        .map(|r| r.value())
        .or_else(|| related_name.clone())
        .unwrap_or_else(|| m.model_name.clone());
    (related_name, query_name)
}

/// Instance-side relation accessors (Django's related managers and descriptors):
/// `author.books()` for `Book.author` (`related_name = "books"`, else `book_set`), a
/// [`RelatedManager`]; `author.profile().await` for a one-to-one; `genre.books()` and the
/// forward `book.genres()` for a many-to-many field, [`ManyRelatedManager`]s. An unsaved
/// instance gives Django's `ValueError`.
fn instance_accessors(m: &ModelInfo, f: &FieldInfo) -> Option<TokenStream> {
    let k = &m.opts.krate;
    let ident = &m.ident;
    let vis = &m.vis;
    let (target, one_to_one) = match &f.kind {
        Kind::ForeignKey { target, one_to_one } => (target, *one_to_one),
        Kind::ManyToMany { target } => (target, false),
        Kind::Plain | Kind::Flatten => return None,
    };
    let (target_ident, _) = last_segment(target)?;
    let (related_name, query_name) = related_names(m, f);
    let hidden_reverse = related_name.as_deref().is_some_and(|r| r.ends_with('+'));
    let managers = quote!(#k::models::related_managers);
    let name = &f.name;
    let mut out = TokenStream::new();
    if !hidden_reverse {
        let accessor = match &related_name {
            Some(r) => r.clone(),
            None if one_to_one => m.model_name.clone(),
            None => format!("{}_set", m.model_name),
        };
        let trait_ident = format_ident!("{}{}Related", target_ident, pascal(&accessor));
        let method = format_ident!("{}", accessor);
        let target_lower = target_ident.to_string().to_lowercase();
        let (sig, body, doc) = match &f.kind {
            Kind::ForeignKey { .. } if one_to_one => (
                quote! {
                    fn #method(&self) -> impl ::core::future::Future<
                        Output = #k::Result<#managers::RelatedRef<'_, #ident>>,
                    > + ::core::marker::Send + '_
                },
                quote!(#managers::reverse_one_to_one::<#target, #ident>(self, #name, #accessor)),
                format!(
                    "`{target_lower}.{accessor}`: the `{ident}` whose `{name}` is this `{target_ident}` (cached by \
                     `select_related`, else one query); `RelatedObjectDoesNotExist` when there is none."
                ),
            ),
            Kind::ForeignKey { .. } => {
                let nullable = f.nullable;
                (
                    quote!(fn #method(&self) -> #k::Result<#managers::RelatedManager<'_, #ident, #nullable>>),
                    quote!(#managers::RelatedManager::new(self, #name, #accessor)),
                    format!(
                        "`{target_lower}.{accessor}`: the manager of the `{ident}` rows whose `{name}` is this `{target_ident}`."
                    ),
                )
            }
            _ => (
                quote!(fn #method(&self) -> #k::Result<#managers::ManyRelatedManager<'_, #ident>>),
                quote!(#managers::ManyRelatedManager::reverse(self, #name, #accessor)),
                format!(
                    "`{target_lower}.{accessor}`: the manager of the `{ident}` rows whose `{name}` include this `{target_ident}`."
                ),
            ),
        };
        out.extend(quote! {
            #[doc = #doc]
            #vis trait #trait_ident {
                #[doc = #doc]
                #sig;
            }

            impl #trait_ident for #target {
                #sig {
                    #body
                }
            }
        });
    }
    // The forward manager exists even when the reverse side is hidden (Django's
    // `related_name="+"` and symmetrical relations to self); with a bare "+" there is
    // no query name to filter through, so only then is it left out.
    let bare_plus = related_name.as_deref() == Some("+");
    if let (Kind::ManyToMany { .. }, false) = (&f.kind, bare_plus) {
        let trait_ident = format_ident!("{}{}Related", ident, pascal(&f.name));
        let method = &f.ident;
        let doc = format!(
            "`{}.{}()`: the manager of the related `{target_ident}` rows.",
            m.model_name, f.name
        );
        out.extend(quote! {
            #[doc = #doc]
            #vis trait #trait_ident {
                #[doc = #doc]
                fn #method(&self) -> #k::Result<#managers::ManyRelatedManager<'_, #target>>;
            }

            impl #trait_ident for #ident {
                fn #method(&self) -> #k::Result<#managers::ManyRelatedManager<'_, #target>> {
                    #managers::ManyRelatedManager::forward(self, #name, #query_name)
                }
            }
        });
    }
    Some(out)
}

/// The extension trait that gives the related model's handles the reverse lookup
/// (`Author::fields().books()` from `Book.author`'s `related_name = "books"`).
fn reverse_trait(m: &ModelInfo, f: &FieldInfo, fields_ident: &Ident) -> Option<TokenStream> {
    let target = match &f.kind {
        Kind::ForeignKey { target, .. } | Kind::ManyToMany { target } => target,
        Kind::Plain | Kind::Flatten => return None,
    };
    let (related_name, query_name) = related_names(m, f);
    if related_name.as_deref().is_some_and(|r| r.ends_with('+')) {
        return None;
    }
    let target_fields = fields_struct_path(target)?;
    let (target_ident, _) = last_segment(target)?;
    let trait_ident = format_ident!("{}{}Reverse", target_ident, pascal(&query_name));
    let method = format_ident!("{}", query_name);
    let k = &m.opts.krate;
    let typed = quote!(#k::query::typed);
    let vis = &m.vis;
    let doc = format!(
        "Reverse lookups from `{target_ident}` to `{}` through `{}.{}` (`{query_name}__...`).",
        m.ident, m.ident, f.name
    );
    Some(quote! {
        #[doc = #doc]
        #vis trait #trait_ident {
            #[doc = #doc]
            fn #method(&self) -> #fields_ident;
        }

        impl #trait_ident for #target_fields {
            fn #method(&self) -> #fields_ident {
                <#fields_ident as #typed::ModelFields>::at(#typed::join(#typed::ModelFields::path(self), #query_name))
            }
        }
    })
}

/// The whole expansion of `#[derive(Model)]`.
pub fn expand(m: &ModelInfo) -> Result<TokenStream> {
    if m.opts.is_abstract {
        return expand_abstract(m);
    }
    let k = &m.opts.krate;
    let ident = &m.ident;
    let base = quote!(#k::models::inheritance::AbstractModel);
    let mut defaults = Vec::new();
    // Runs of own fields, and the inherited fields of each base, in metadata order.
    let mut parts: Vec<TokenStream> = Vec::new();
    let mut run: Vec<TokenStream> = Vec::new();
    let mut len = vec![quote!(0usize)];
    for f in &m.fields {
        if f.is_flatten() {
            let ty = &f.ty;
            if !run.is_empty() {
                parts.push(quote!(&[#(#run),*]));
                run.clear();
            }
            parts.push(quote!(<#ty as #base>::FIELDS));
            len.push(quote!(<#ty as #base>::FIELDS.len()));
            continue;
        }
        if let Some((part, part_len)) = crate::inheritance::parent_fields_part(m, f) {
            if !run.is_empty() {
                parts.push(quote!(&[#(#run),*]));
                run.clear();
            }
            parts.push(part);
            len.push(part_len);
        }
        let default = match &f.opts.default {
            Some(expr) => {
                defaults.push(default_fn(m, f, expr));
                Some(hidden("default", f))
            }
            None => None,
        };
        run.push(field_tokens(m, f, default.as_ref())?);
        len.push(quote!(1usize));
    }
    let fields_static = if m.has_bases() {
        if !run.is_empty() {
            parts.push(quote!(&[#(#run),*]));
        }
        quote! {
            static __NUAGES_FIELDS: [#k::models::meta::Field; #(#len)+*] =
                #k::models::inheritance::concat_fields(&[#(#parts),*]);
        }
    } else {
        let n = run.len();
        quote!(static __NUAGES_FIELDS: [#k::models::meta::Field; #n] = [#(#run),*];)
    };
    let meta = model_meta(m)?;
    let model_impl = impl_model(m);
    let clean = if m.opts.custom_clean {
        quote!()
    } else {
        quote!(impl #k::models::validation::Clean for #ident {})
    };
    let handles = typed_handles(m);
    let generic = crate::generic::expand(m);
    let manager_accessors = crate::managers::accessors(&m.opts, ident);
    Ok(quote! {
        #[allow(non_upper_case_globals, non_snake_case, clippy::all)]
        const _: () = {
            #(#defaults)*

            #fields_static
            static __NUAGES_META: #k::models::meta::ModelMeta = #meta;

            #model_impl

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

        #handles

        #generic

        #manager_accessors
    })
}

//! `#[model(managers = [manager(name = "published", class = PublishedManager)])]`:
//! Django's custom managers. Each becomes an entry of `ModelMeta.managers` (which
//! migrations read) and a `Book::published()` accessor returning the class's
//! `get_queryset()`; the first is the default manager (`ModelMeta.default_manager`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

use crate::attrs::ModelOpts;

/// The `managers: &[...]` value of the model's `ModelMeta`.
pub fn meta_entries(opts: &ModelOpts, ident: &Ident) -> TokenStream {
    let k = &opts.krate;
    let entries = opts.managers.iter().map(|m| {
        let name = &m.name;
        let class = &m.class;
        let path = quote!(#class).to_string().replace(' ', "");
        quote! {
            #k::models::manager::ManagerMeta {
                name: #name,
                class: #path,
                use_in_migrations: <#class as #k::models::manager::ManagerClass<#ident>>::USE_IN_MIGRATIONS,
            }
        }
    });
    quote!(&[#(#entries),*])
}

/// The `default_manager` value of the model's `ModelMeta`: the first declared manager's
/// `get_queryset()` as a dynamic queryset, or `None` for the implicit `objects`.
pub fn default_manager(opts: &ModelOpts, ident: &Ident) -> TokenStream {
    let Some(first) = opts.managers.first() else {
        return quote!(::core::option::Option::None);
    };
    let k = &opts.krate;
    let class = &first.class;
    quote! {{
        fn __nuages_default_manager() -> #k::query::DynQuerySet {
            <#class as #k::models::manager::ManagerClass<#ident>>::get_queryset().into_dyn()
        }
        ::core::option::Option::Some(__nuages_default_manager as fn() -> #k::query::DynQuerySet)
    }}
}

/// `impl Book { pub fn published() -> QuerySet<Book> }` for every declared manager.
pub fn accessors(opts: &ModelOpts, ident: &Ident) -> TokenStream {
    if opts.managers.is_empty() {
        return quote!();
    }
    let k = &opts.krate;
    let methods = opts.managers.iter().map(|m| {
        let method = format_ident!("{}", m.name.value());
        let class = &m.class;
        let doc = format!(
            "`{ident}.{}`: the queryset of the `{}` manager.",
            m.name.value(),
            quote!(#class).to_string().replace(' ', "")
        );
        quote! {
            #[doc = #doc]
            pub fn #method() -> #k::query::QuerySet<#ident> {
                <#class as #k::models::manager::ManagerClass<#ident>>::get_queryset()
            }
        }
    });
    quote! {
        impl #ident {
            #(#methods)*
        }
    }
}

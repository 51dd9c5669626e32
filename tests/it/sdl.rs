//! Queries written from the committed SDL, so that tests reach every field
//! of every type without a hand-kept list that would fall behind.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};

/// A field of an object type.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) name: String,
    /// The named type under lists and non-null markers.
    pub(crate) ty: String,
    pub(crate) args: Vec<Arg>,
}

/// An argument of a field.
#[derive(Debug, Clone)]
pub(crate) struct Arg {
    pub(crate) name: String,
    pub(crate) ty: String,
    pub(crate) required: bool,
}

#[derive(Debug)]
enum Def {
    Object(Vec<Field>),
    Union(Vec<String>),
    Enum(Vec<String>),
    Leaf,
}

/// The schema's types, read from `schema/tessera.graphql`.
pub(crate) struct Sdl {
    types: HashMap<String, Def>,
}

fn base(ty: &Type) -> String {
    let mut ty = ty;
    loop {
        match &ty.base {
            BaseType::Named(name) => return name.to_string(),
            BaseType::List(inner) => ty = inner,
        }
    }
}

impl Sdl {
    /// The committed SDL.
    pub(crate) fn committed() -> Sdl {
        let text = std::fs::read_to_string(crate::workspace().join("schema/tessera.graphql"))
            .unwrap_or_else(|e| panic!("schema/tessera.graphql: {e}"));
        let doc = async_graphql::parser::parse_schema(&text).unwrap_or_else(|e| panic!("{e}"));
        let mut types = HashMap::new();
        for def in doc.definitions {
            let TypeSystemDefinition::Type(t) = def else { continue };
            let t = t.node;
            let fields = |list: &[async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>]| {
                list.iter()
                    .map(|f| Field {
                        name: f.node.name.node.to_string(),
                        ty: base(&f.node.ty.node),
                        args: f
                            .node
                            .arguments
                            .iter()
                            .map(|a| Arg {
                                name: a.node.name.node.to_string(),
                                ty: base(&a.node.ty.node),
                                required: !a.node.ty.node.nullable && a.node.default_value.is_none(),
                            })
                            .collect(),
                    })
                    .collect()
            };
            let def = match &t.kind {
                TypeKind::Object(o) => Def::Object(fields(&o.fields)),
                TypeKind::Interface(i) => Def::Object(fields(&i.fields)),
                TypeKind::Union(u) => Def::Union(u.members.iter().map(|m| m.node.to_string()).collect()),
                TypeKind::Enum(e) => Def::Enum(e.values.iter().map(|v| v.node.value.node.to_string()).collect()),
                TypeKind::Scalar | TypeKind::InputObject(_) => Def::Leaf,
            };
            types.insert(t.name.node.to_string(), def);
        }
        Sdl { types }
    }

    /// The fields of the root query type.
    pub(crate) fn root_fields(&self) -> Vec<Field> {
        match self.types.get("QueryRoot").or_else(|| self.types.get("Query")) {
            Some(Def::Object(fields)) => fields.clone(),
            _ => panic!("the SDL has no query root"),
        }
    }

    /// The values of an enum type.
    pub(crate) fn enum_values(&self, ty: &str) -> Vec<String> {
        match self.types.get(ty) {
            Some(Def::Enum(values)) => values.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether `ty` is a leaf (scalar or enum).
    pub(crate) fn is_leaf(&self, ty: &str) -> bool {
        !matches!(self.types.get(ty), Some(Def::Object(_) | Def::Union(_)))
    }

    /// The fields of object `ty` (empty for other types).
    pub(crate) fn fields(&self, ty: &str) -> Vec<Field> {
        match self.types.get(ty) {
            Some(Def::Object(fields)) => fields.clone(),
            _ => Vec::new(),
        }
    }

    /// The members of union `ty` (empty for other types).
    pub(crate) fn members(&self, ty: &str) -> Vec<String> {
        match self.types.get(ty) {
            Some(Def::Union(m)) => m.clone(),
            _ => Vec::new(),
        }
    }

    /// A selection of every field of `ty` down to `depth` levels. `args`
    /// writes a field's arguments (`None` skips the field, for one whose
    /// required arguments it cannot fill).
    pub(crate) fn select(&self, ty: &str, depth: usize, args: &dyn Fn(&Field) -> Option<String>) -> Option<String> {
        match self.types.get(ty)? {
            Def::Object(fields) => {
                let mut parts = Vec::new();
                for f in fields {
                    let Some(a) = args(f) else { continue };
                    if self.is_leaf(&f.ty) {
                        parts.push(format!("{}{a}", f.name));
                    } else if depth > 0
                        && let Some(sub) = self.select(&f.ty, depth - 1, args)
                    {
                        parts.push(format!("{}{a} {{ {sub} }}", f.name));
                    }
                }
                (!parts.is_empty()).then(|| parts.join(" "))
            }
            Def::Union(members) => {
                let mut parts = vec!["__typename".to_owned()];
                for m in members {
                    if let Some(sub) = self.select(m, depth, args) {
                        parts.push(format!("... on {m} {{ {sub} }}"));
                    }
                }
                Some(parts.join(" "))
            }
            Def::Enum(_) | Def::Leaf => Some(String::new()),
        }
    }
}

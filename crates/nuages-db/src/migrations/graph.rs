//! Migrations and their dependency graph: Django's `Migration`, `MigrationGraph` and
//! `MigrationExecutor.migration_plan`.
//!
//! Plans are pure functions of the graph and the set of applied migrations, so
//! `showmigrations --plan`, `migrate --plan` and `migrate` agree by construction.

use std::collections::{BTreeSet, HashSet};

use crate::error::{DbError, Result};
use crate::migrations::operations::Operation;
use crate::migrations::state::ProjectState;

/// `(app_label, name)` of a migration.
pub type Key = (String, String);

/// One migration: Django's `Migration` class.
#[derive(Debug, Clone)]
pub struct Migration {
    pub app_label: String,
    /// `0002_book_rating`.
    pub name: String,
    /// Migrations that must be applied first.
    pub dependencies: Vec<Key>,
    pub operations: Vec<Operation>,
    /// `initial = True`: `--fake-initial` may fake it when its tables exist.
    pub initial: bool,
    /// Runs in one transaction where the backend has transactional DDL.
    pub atomic: bool,
    /// Django's `replaces`: the migrations a squashed migration stands for. It is
    /// used instead of them when all or none of them are applied (see
    /// [`MigrationGraph::with_applied`]).
    pub replaces: Vec<Key>,
}

impl Migration {
    /// A migration with no dependencies, not initial, atomic.
    ///
    /// ```
    /// use nuages_db::migrations::graph::Migration;
    /// let m = Migration::new("bookstore", "0001_initial").initial();
    /// assert!(m.initial && m.atomic);
    /// ```
    pub fn new(app_label: impl Into<String>, name: impl Into<String>) -> Migration {
        Migration {
            app_label: app_label.into(),
            name: name.into(),
            dependencies: Vec::new(),
            operations: Vec::new(),
            initial: false,
            atomic: true,
            replaces: Vec::new(),
        }
    }

    /// Marks the migration initial.
    pub fn initial(mut self) -> Migration {
        self.initial = true;
        self
    }

    /// Adds a dependency.
    pub fn depends_on(mut self, app_label: &str, name: &str) -> Migration {
        self.dependencies.push((app_label.to_owned(), name.to_owned()));
        self
    }

    /// Adds a migration this (squashed) migration replaces.
    ///
    /// ```
    /// use nuages_db::migrations::graph::Migration;
    /// let m = Migration::new("shop", "0001_squashed_0002_b")
    ///     .replaces("shop", "0001_initial")
    ///     .replaces("shop", "0002_b");
    /// assert_eq!(m.replaces.len(), 2);
    /// ```
    pub fn replaces(mut self, app_label: &str, name: &str) -> Migration {
        self.replaces.push((app_label.to_owned(), name.to_owned()));
        self
    }

    /// Sets the operations.
    pub fn operations(mut self, operations: Vec<Operation>) -> Migration {
        self.operations = operations;
        self
    }

    /// Sets `atomic`.
    pub fn atomic(mut self, atomic: bool) -> Migration {
        self.atomic = atomic;
        self
    }

    /// `(app_label, name)`.
    pub fn key(&self) -> Key {
        (self.app_label.clone(), self.name.clone())
    }

    /// Applies every operation to `state`.
    pub fn apply_state(&self, state: &mut ProjectState) -> Result<()> {
        for op in &self.operations {
            op.state_forwards(&self.app_label, state)?;
        }
        Ok(())
    }
}

/// Where `migrate` should go for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `migrate <app> <name>`: up to (and including) this migration; later ones are
    /// unapplied.
    Migration(String, String),
    /// `migrate <app> zero`: unapply everything of the app.
    Zero(String),
}

/// One step of a plan: a migration and whether it is unapplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    pub key: Key,
    pub backwards: bool,
}

/// All known migrations, with squashed migrations resolved (Django's
/// `MigrationLoader.graph`).
#[derive(Debug, Clone, Default)]
pub struct MigrationGraph {
    /// The nodes: every migration, minus the replaced ones of usable squashed
    /// migrations and the squashed ones that cannot be used.
    migrations: Vec<Migration>,
    /// Every migration as given, replaced and squashed ones included.
    all: Vec<Migration>,
}

impl MigrationGraph {
    /// A graph of `migrations`, resolving squashed migrations as if nothing were applied
    /// (Django's loader without a connection: a squashed migration stands for the ones it
    /// replaces). Every dependency must be present and there must be no cycle (Django's
    /// `NodeNotFoundError` / `CircularDependencyError`, reported as `DatabaseError`s with
    /// Django's messages).
    pub fn new(migrations: Vec<Migration>) -> Result<MigrationGraph> {
        Self::build(migrations, &HashSet::new(), true)
    }

    /// The graph resolved against the migrations recorded as applied, as Django's
    /// `MigrationLoader.build_graph`: a squashed migration replaces its migrations when
    /// all or none of them are applied; when only some are, the squashed one is left out
    /// and what depended on it depends on the last replaced migration instead.
    ///
    /// ```
    /// use std::collections::HashSet;
    /// use nuages_db::migrations::graph::{Migration, MigrationGraph};
    /// let graph = MigrationGraph::new(vec![
    ///     Migration::new("shop", "0001_initial"),
    ///     Migration::new("shop", "0002_b").depends_on("shop", "0001_initial"),
    ///     Migration::new("shop", "0001_squashed_0002_b")
    ///         .replaces("shop", "0001_initial")
    ///         .replaces("shop", "0002_b"),
    /// ])
    /// .unwrap();
    /// assert_eq!(graph.migrations().len(), 1);
    /// let half: HashSet<_> = [("shop".to_owned(), "0001_initial".to_owned())].into();
    /// assert_eq!(graph.with_applied(&half).unwrap().migrations().len(), 2);
    /// ```
    pub fn with_applied(&self, applied: &HashSet<Key>) -> Result<MigrationGraph> {
        Self::build(self.all.clone(), applied, true)
    }

    /// Every migration as written, squashed and replaced ones side by side (Django's
    /// loader with `replace_migrations=False`, which `sqlmigrate` uses).
    pub fn unreplaced(&self) -> Result<MigrationGraph> {
        Self::build(self.all.clone(), &HashSet::new(), false)
    }

    fn build(all: Vec<Migration>, applied: &HashSet<Key>, replace: bool) -> Result<MigrationGraph> {
        let migrations = if replace {
            resolve_replacements(&all, applied)
        } else {
            all.clone()
        };
        let graph = MigrationGraph { migrations, all };
        for m in &graph.migrations {
            for dep in &m.dependencies {
                if graph.get(dep).is_none() {
                    return Err(DbError::DatabaseError(format!(
                        "Migration {}.{} dependencies reference nonexistent parent node ('{}', '{}')",
                        m.app_label, m.name, dep.0, dep.1
                    )));
                }
            }
        }
        graph.forwards_order()?;
        Ok(graph)
    }

    /// The squashed migrations known to the graph, used or not (Django's
    /// `loader.replacements`).
    pub fn replacements(&self) -> impl Iterator<Item = &Migration> {
        self.all.iter().filter(|m| !m.replaces.is_empty())
    }

    /// Django's `applied_migrations` after `build_graph`: the recorded migrations, plus
    /// each squashed migration whose replaced migrations are all recorded, minus a
    /// recorded squashed migration whose replaced ones are not all recorded.
    pub fn applied_with_replacements(&self, recorded: &HashSet<Key>) -> HashSet<Key> {
        let mut applied = recorded.clone();
        for squashed in self.replacements() {
            if squashed.replaces.iter().all(|k| recorded.contains(k)) {
                applied.insert(squashed.key());
            } else {
                applied.remove(&squashed.key());
            }
        }
        applied
    }

    /// Every migration, in the order given.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// A migration by key.
    pub fn get(&self, key: &Key) -> Option<&Migration> {
        self.migrations
            .iter()
            .find(|m| m.app_label == key.0 && m.name == key.1)
    }

    /// Migrations of `app` nothing else of the app depends on (Django's `leaf_nodes`).
    pub fn leaf_nodes(&self, app: Option<&str>) -> Vec<Key> {
        let mut leaves: Vec<Key> = self
            .migrations
            .iter()
            .filter(|m| app.is_none_or(|a| m.app_label == a))
            .filter(|m| {
                !self
                    .migrations
                    .iter()
                    .any(|o| o.app_label == m.app_label && o.dependencies.contains(&m.key()))
            })
            .map(Migration::key)
            .collect();
        leaves.sort();
        leaves
    }

    fn children(&self, key: &Key) -> Vec<Key> {
        let mut out: Vec<Key> = self
            .migrations
            .iter()
            .filter(|m| m.dependencies.contains(key))
            .map(Migration::key)
            .collect();
        out.sort();
        out
    }

    /// Django's `forwards_plan(target)`: the target's ancestors, dependencies first.
    pub fn forwards_plan(&self, target: &Key) -> Result<Vec<Key>> {
        let mut out = Vec::new();
        let mut visiting = Vec::new();
        self.visit_forwards(target, &mut out, &mut visiting)?;
        Ok(out)
    }

    fn visit_forwards(&self, key: &Key, out: &mut Vec<Key>, visiting: &mut Vec<Key>) -> Result<()> {
        if out.contains(key) {
            return Ok(());
        }
        if visiting.contains(key) {
            return Err(DbError::DatabaseError(format!(
                "Circular dependency: {}.{}",
                key.0, key.1
            )));
        }
        let m = self.get(key).ok_or_else(|| {
            DbError::DatabaseError(format!("Node ('{}', '{}') not a valid node", key.0, key.1))
        })?;
        visiting.push(key.clone());
        let mut deps = m.dependencies.clone();
        deps.sort();
        for d in &deps {
            self.visit_forwards(d, out, visiting)?;
        }
        visiting.pop();
        out.push(key.clone());
        Ok(())
    }

    /// Django's `backwards_plan(target)`: the target's descendants, dependents first.
    pub fn backwards_plan(&self, target: &Key) -> Vec<Key> {
        let mut out = Vec::new();
        self.visit_backwards(target, &mut out);
        out
    }

    fn visit_backwards(&self, key: &Key, out: &mut Vec<Key>) {
        if out.contains(key) {
            return;
        }
        for c in self.children(key) {
            self.visit_backwards(&c, out);
        }
        if !out.contains(key) {
            out.push(key.clone());
        }
    }

    /// Every migration in an order where dependencies come first.
    pub fn forwards_order(&self) -> Result<Vec<Key>> {
        let mut out = Vec::new();
        let mut visiting = Vec::new();
        let mut keys: Vec<Key> = self.migrations.iter().map(Migration::key).collect();
        keys.sort();
        for k in &keys {
            self.visit_forwards(k, &mut out, &mut visiting)?;
        }
        Ok(out)
    }

    /// The state after applying `keys` (in forwards order) from nothing.
    pub fn state_after(&self, keys: &BTreeSet<Key>) -> Result<ProjectState> {
        let mut state = ProjectState::new();
        for k in self.forwards_order()? {
            if keys.contains(&k) {
                if let Some(m) = self.get(&k) {
                    m.apply_state(&mut state)?;
                }
            }
        }
        Ok(state)
    }

    /// Django's `migration_plan(targets)`: what to apply or unapply to reach `targets`
    /// (`None`: every app's leaf migrations) given the `applied` set.
    pub fn migration_plan(
        &self,
        targets: Option<&[Target]>,
        applied: &HashSet<Key>,
    ) -> Result<Vec<PlanStep>> {
        let targets: Vec<Target> = match targets {
            Some(t) => t.to_vec(),
            None => self
                .leaf_nodes(None)
                .into_iter()
                .map(|(a, n)| Target::Migration(a, n))
                .collect(),
        };
        let mut plan: Vec<PlanStep> = Vec::new();
        let push = |plan: &mut Vec<PlanStep>, key: Key, backwards: bool| {
            if !plan.iter().any(|s| s.key == key) {
                plan.push(PlanStep { key, backwards });
            }
        };
        for target in targets {
            match target {
                Target::Zero(app) => {
                    // Unapply every applied migration of the app whose dependencies are in it.
                    for root in self
                        .migrations
                        .iter()
                        .filter(|m| m.app_label == app && !m.dependencies.iter().any(|d| d.0 == app))
                    {
                        for k in self.backwards_plan(&root.key()) {
                            if applied.contains(&k) {
                                push(&mut plan, k, true);
                            }
                        }
                    }
                }
                Target::Migration(app, name) => {
                    let key = (app.clone(), name.clone());
                    if self.get(&key).is_none() {
                        return Err(DbError::DatabaseError(format!(
                            "Cannot find a migration matching '{name}' from app '{app}'."
                        )));
                    }
                    if applied.contains(&key) {
                        // Going back: unapply the app's children of the target.
                        for child in self.children(&key).into_iter().filter(|c| c.0 == app) {
                            for k in self.backwards_plan(&child) {
                                if applied.contains(&k) {
                                    push(&mut plan, k, true);
                                }
                            }
                        }
                    } else {
                        for k in self.forwards_plan(&key)? {
                            if !applied.contains(&k) {
                                push(&mut plan, k, false);
                            }
                        }
                    }
                }
            }
        }
        Ok(plan)
    }
}

/// Django's `replace_node` / `remove_replacement_node` for every squashed migration.
fn resolve_replacements(all: &[Migration], applied: &HashSet<Key>) -> Vec<Migration> {
    let mut nodes: Vec<Migration> = all.to_vec();
    for squashed in all.iter().filter(|m| !m.replaces.is_empty()) {
        let key = squashed.key();
        let n_applied = squashed.replaces.iter().filter(|k| applied.contains(k)).count();
        if n_applied == 0 || n_applied == squashed.replaces.len() {
            // The squashed migration stands for the replaced ones: it inherits their
            // dependencies from outside the set, and their dependents depend on it.
            let inherited: Vec<Key> = nodes
                .iter()
                .filter(|m| squashed.replaces.contains(&m.key()))
                .flat_map(|m| m.dependencies.iter().cloned())
                .filter(|d| !squashed.replaces.contains(d) && *d != key)
                .collect();
            nodes.retain(|m| !squashed.replaces.contains(&m.key()));
            for m in &mut nodes {
                let is_squashed = m.key() == key;
                let mut deps: Vec<Key> = Vec::new();
                for d in m.dependencies.drain(..) {
                    let d = if squashed.replaces.contains(&d) {
                        if is_squashed {
                            continue;
                        }
                        key.clone()
                    } else {
                        d
                    };
                    if !deps.contains(&d) {
                        deps.push(d);
                    }
                }
                if is_squashed {
                    for d in &inherited {
                        if !deps.contains(d) {
                            deps.push(d.clone());
                        }
                    }
                }
                m.dependencies = deps;
            }
        } else {
            // Partly applied: the squashed migration cannot be used.
            let last = squashed
                .replaces
                .iter()
                .rev()
                .find(|k| nodes.iter().any(|m| m.key() == **k))
                .cloned();
            nodes.retain(|m| m.key() != key);
            for m in &mut nodes {
                let mut deps: Vec<Key> = Vec::new();
                for d in m.dependencies.drain(..) {
                    let d = if d == key {
                        match &last {
                            Some(l) => l.clone(),
                            None => continue,
                        }
                    } else {
                        d
                    };
                    if !deps.contains(&d) {
                        deps.push(d);
                    }
                }
                m.dependencies = deps;
            }
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph() -> MigrationGraph {
        MigrationGraph::new(vec![
            Migration::new("a", "0001_initial").initial(),
            Migration::new("a", "0002_x").depends_on("a", "0001_initial"),
            Migration::new("b", "0001_initial")
                .initial()
                .depends_on("a", "0002_x"),
        ])
        .unwrap()
    }

    fn k(a: &str, n: &str) -> Key {
        (a.into(), n.into())
    }

    #[test]
    fn plans_follow_dependencies() {
        let g = graph();
        let plan = g.migration_plan(None, &HashSet::new()).unwrap();
        let keys: Vec<Key> = plan.iter().map(|s| s.key.clone()).collect();
        assert_eq!(
            keys,
            vec![k("a", "0001_initial"), k("a", "0002_x"), k("b", "0001_initial")]
        );
        assert!(plan.iter().all(|s| !s.backwards));
        let applied: HashSet<Key> = keys.into_iter().collect();
        assert!(g.migration_plan(None, &applied).unwrap().is_empty());
        // Back to a.0001 unapplies b.0001 then a.0002.
        let back = g
            .migration_plan(
                Some(&[Target::Migration("a".into(), "0001_initial".into())]),
                &applied,
            )
            .unwrap();
        let keys: Vec<Key> = back.iter().map(|s| s.key.clone()).collect();
        assert_eq!(keys, vec![k("b", "0001_initial"), k("a", "0002_x")]);
        assert!(back.iter().all(|s| s.backwards));
        let zero = g
            .migration_plan(Some(&[Target::Zero("a".into())]), &applied)
            .unwrap();
        assert_eq!(zero.len(), 3);
        assert_eq!(zero.last().unwrap().key, k("a", "0001_initial"));
    }

    #[test]
    fn squashed_migrations_replace_or_step_aside() {
        let all = vec![
            Migration::new("a", "0001_initial"),
            Migration::new("a", "0002_x").depends_on("a", "0001_initial"),
            Migration::new("a", "0001_squashed_0002_x")
                .replaces("a", "0001_initial")
                .replaces("a", "0002_x"),
            Migration::new("a", "0003_y").depends_on("a", "0002_x"),
            Migration::new("b", "0001_initial").depends_on("a", "0001_squashed_0002_x"),
        ];
        let g = MigrationGraph::new(all).unwrap();
        // Nothing applied: the squashed migration stands for both.
        assert!(g.get(&k("a", "0002_x")).is_none());
        assert_eq!(
            g.get(&k("a", "0003_y")).unwrap().dependencies,
            vec![k("a", "0001_squashed_0002_x")]
        );
        assert_eq!(g.leaf_nodes(Some("a")), vec![k("a", "0003_y")]);
        // Half applied: the replaced ones are used, dependents of the squashed one
        // depend on the last replaced migration.
        let half: HashSet<Key> = [k("a", "0001_initial")].into();
        let h = g.with_applied(&half).unwrap();
        assert!(h.get(&k("a", "0001_squashed_0002_x")).is_none());
        assert_eq!(
            h.get(&k("b", "0001_initial")).unwrap().dependencies,
            vec![k("a", "0002_x")]
        );
        assert!(!h
            .applied_with_replacements(&half)
            .contains(&k("a", "0001_squashed_0002_x")));
        // All applied: the squashed migration counts as applied.
        let full: HashSet<Key> = [k("a", "0001_initial"), k("a", "0002_x")].into();
        let f = g.with_applied(&full).unwrap();
        assert!(f
            .applied_with_replacements(&full)
            .contains(&k("a", "0001_squashed_0002_x")));
        let plan = f
            .migration_plan(None, &f.applied_with_replacements(&full))
            .unwrap();
        let keys: Vec<Key> = plan.into_iter().map(|s| s.key).collect();
        assert_eq!(keys, vec![k("a", "0003_y"), k("b", "0001_initial")]);
        // Unreplaced keeps everything.
        assert_eq!(g.unreplaced().unwrap().migrations().len(), 5);
    }

    #[test]
    fn missing_dependency_is_an_error() {
        let err = MigrationGraph::new(vec![Migration::new("a", "0002").depends_on("a", "0001")]).unwrap_err();
        assert!(
            err.to_string().contains("nonexistent parent node ('a', '0001')"),
            "{err}"
        );
    }
}

//! Agents and atomic allocation, with the fit index that finds the best agents for a demand.
//!
//! A [`Pool`] holds agents (capacity, labels, tier, cost, speed, state) and what is allocated on
//! each. Allocation and release are all-or-nothing across dimensions and never over-commit.
//! [`Pool::candidates`] answers "which ready agents can take this demand, best first by the
//! policy" through a segment tree (see the `index` module) instead of a scan; [`Pool::candidates_scan`]
//! is the full-scan reference it is tested and benchmarked against.

mod index;
mod score;

pub use score::{Scoring, Weights};

use crate::model::{AgentId, IdMap, Label, Sensitivity, Tier, check_non_negative, check_positive};
use crate::resources::{ResourceVec, Schema};
use crate::{Error, Result};
use index::{ClassedIndex, Leaf, Query, TopK};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// An agent's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Takes new work.
    Ready,
    /// Finishes what it runs, takes nothing new.
    Draining,
    /// Failed or unreachable: runs nothing.
    Down,
}

impl AgentState {
    /// The state's name, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Ready => "ready",
            AgentState::Draining => "draining",
            AgentState::Down => "down",
        }
    }
}

/// What a host says about an agent when it joins.
///
/// # Example
/// ```
/// use agentsched::pool::AgentSpec;
/// use agentsched::{AgentId, Label, Tier};
/// let gpu_box = AgentSpec::new(AgentId(7), vec![16_000, 65_536, 2])
///     .tier(Tier::Public)
///     .cost_per_time(2.5)
///     .label(Label::new("region", "eu-west"));
/// assert_eq!(gpu_box.tier, Tier::Public);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec {
    /// The agent's id.
    pub id: AgentId,
    /// Capacity per schema dimension.
    pub capacity: Vec<u64>,
    /// `key=value` labels that tasks may require.
    pub labels: Vec<Label>,
    /// Private or public cloud.
    pub tier: Tier,
    /// Cost per unit time (finite, `>= 0`).
    pub cost_per_time: f64,
    /// Relative speed (finite, `> 0`; 1.0 = reference): a task of estimated duration `t` is
    /// expected to take `t / speed` here.
    pub speed: f64,
}

impl AgentSpec {
    /// A private agent of speed 1 and cost 0 with no labels.
    pub fn new(id: AgentId, capacity: Vec<u64>) -> Self {
        AgentSpec {
            id,
            capacity,
            labels: Vec::new(),
            tier: Tier::Private,
            cost_per_time: 0.0,
            speed: 1.0,
        }
    }

    /// Sets the tier.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }

    /// Sets the cost per unit time.
    pub fn cost_per_time(mut self, cost: f64) -> Self {
        self.cost_per_time = cost;
        self
    }

    /// Sets the relative speed.
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }

    /// Adds a label.
    pub fn label(mut self, label: Label) -> Self {
        self.labels.push(label);
        self
    }
}

/// A task's hard constraints, as the pool sees them.
#[derive(Debug, Clone, Copy)]
pub struct Constraints<'a> {
    /// Resources asked for, one quantity per schema dimension.
    pub demand: &'a ResourceVec,
    /// The data's sensitivity.
    pub sensitivity: Sensitivity,
    /// Labels the agent must carry.
    pub required_labels: &'a [Label],
}

/// One agent that can take a demand, with its score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The agent.
    pub agent: AgentId,
    /// Its score under the pool's policy (higher is better).
    pub score: f64,
}

/// Why one agent cannot take a task now.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// The agent is down.
    Down,
    /// The agent is draining.
    Draining,
    /// The agent's tier may not hold data of the task's sensitivity.
    TierNotAllowed,
    /// The agent lacks a required label.
    MissingLabel(Label),
    /// The agent's whole capacity is below the demand in this dimension.
    CapacityTooSmall {
        /// The dimension index.
        dimension: usize,
    },
    /// The agent's free quantity is below the demand in this dimension right now.
    Short {
        /// The dimension index.
        dimension: usize,
    },
    /// The agent is held for a task waiting ahead of this one (backfill reservation).
    Reserved,
}

impl Mismatch {
    /// Whether the agent could take the task some day without a change in the pool's agents
    /// (it is only busy or reserved now).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Mismatch::Short { .. } | Mismatch::Reserved | Mismatch::Draining | Mismatch::Down
        )
    }
}

/// A read-only view of an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// The agent as it joined.
    pub spec: AgentSpec,
    /// Allocated quantities.
    pub used: ResourceVec,
    /// Lifecycle state.
    pub state: AgentState,
}

#[derive(Debug, Clone)]
struct Slot {
    spec: AgentSpec,
    capacity: ResourceVec,
    used: ResourceVec,
    free: ResourceVec,
    state: AgentState,
    labels: SmallVec<[u32; 4]>,
    label_sig: u64,
    static_score: f64,
}

/// Interns `key=value` labels to small ids so constraints compare integers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labels {
    ids: HashMap<Label, u32>,
}

impl Labels {
    fn intern(&mut self, l: &Label) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(l.clone()).or_insert(next)
    }

    fn get(&self, l: &Label) -> Option<u32> {
        self.ids.get(l).copied()
    }
}

#[inline]
fn sig_bit(label: u32) -> u64 {
    1u64 << (label % 64)
}

#[inline]
fn tier_bit(t: Tier) -> u8 {
    match t {
        Tier::Private => 1,
        Tier::Public => 2,
    }
}

/// `free / capacity`, 0 for a zero capacity.
#[inline]
pub(crate) fn free_fraction(free: u64, capacity: u64) -> f64 {
    crate::resources::ratio(free, capacity)
}

/// Interned form of a task's required labels: sorted ids and their signature; `None` when some
/// label is carried by no agent that ever joined (so no agent can match).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LabelSet {
    pub ids: SmallVec<[u32; 4]>,
    pub sig: u64,
    pub unknown: bool,
}

/// A pool of agents: capacity, allocation and the fit index.
///
/// # Example: the best agents for a demand
/// ```
/// use agentsched::pool::{AgentSpec, Constraints, Pool, Scoring};
/// use agentsched::resources::{ResourceVec, Schema};
/// use agentsched::{AgentId, Sensitivity, Tier};
///
/// let schema = Schema::new(["cpu", "memory"]).unwrap();
/// let mut pool = Pool::new(schema, Scoring::LeastAllocated, false).unwrap();
/// pool.join(AgentSpec::new(AgentId(1), vec![4000, 8192])).unwrap();
/// pool.join(AgentSpec::new(AgentId(2), vec![4000, 8192]).tier(Tier::Public)).unwrap();
/// pool.allocate(AgentId(1), &ResourceVec::from_slice(&[1000, 1024])).unwrap();
///
/// let demand = ResourceVec::from_slice(&[500, 512]);
/// let mut c = Constraints { demand: &demand, sensitivity: Sensitivity::Public, required_labels: &[] };
/// // Spread: the idle public agent first.
/// assert_eq!(pool.candidates(&c, 2).unwrap()[0].agent, AgentId(2));
/// // Confidential data never goes to a public agent.
/// c.sensitivity = Sensitivity::Confidential;
/// let only = pool.candidates(&c, 2).unwrap();
/// assert_eq!(only.len(), 1);
/// assert_eq!(only[0].agent, AgentId(1));
/// ```
#[derive(Debug, Clone)]
pub struct Pool {
    schema: Schema,
    scoring: Scoring,
    weights: Weights,
    allow_internal_on_public: bool,
    slots: Vec<Option<Slot>>,
    by_id: IdMap<AgentId, u32>,
    /// Ids in order, for deterministic iteration (not on the hot path).
    order: BTreeSet<AgentId>,
    free_slots: Vec<u32>,
    labels: Labels,
    index: IndexCell,
    effort: SearchEffort,
}

/// How much of the index recent branch-and-bound searches had to visit, for demand-dependent
/// policies. Their bounds can be loose (balanced allocation depends on the joint profile of an
/// agent's dimensions, which per-dimension aggregates do not capture); when a search visits
/// about as many nodes as there are agents, a plain scan is cheaper. Both give the same answer, so this changes speed only.
#[derive(Debug, Default)]
struct SearchEffort {
    /// Moving average of tree nodes visited per agent in the pool, in 1/1024ths.
    visited_per_agent: AtomicU32,
    queries: AtomicU32,
}

impl Clone for SearchEffort {
    fn clone(&self) -> Self {
        SearchEffort {
            visited_per_agent: AtomicU32::new(self.visited_per_agent.load(Relaxed)),
            queries: AtomicU32::new(self.queries.load(Relaxed)),
        }
    }
}

/// The index is derived state: cloning a pool rebuilds it.
struct IndexCell(ClassedIndex);

impl std::fmt::Debug for IndexCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FitIndex")
    }
}

impl Clone for IndexCell {
    fn clone(&self) -> Self {
        IndexCell(self.0.clone())
    }
}

impl Pool {
    /// An empty pool.
    ///
    /// `allow_internal_on_public` lets [`Sensitivity::Internal`] tasks run on public agents.
    ///
    /// # Errors
    /// A bad [`Scoring`] (see [`Scoring::weights`]), or an invalid schema.
    pub fn new(schema: Schema, scoring: Scoring, allow_internal_on_public: bool) -> Result<Self> {
        schema.check()?;
        let weights = scoring.weights()?;
        Ok(Pool {
            index: IndexCell(ClassedIndex::new(schema.len(), weights.demand_dependent())),
            schema,
            scoring,
            weights,
            allow_internal_on_public,
            slots: Vec::new(),
            by_id: IdMap::default(),
            order: BTreeSet::new(),
            free_slots: Vec::new(),
            labels: Labels::default(),
            effort: SearchEffort::default(),
        })
    }

    /// The pool's schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The scoring policy.
    pub fn scoring(&self) -> Scoring {
        self.scoring
    }

    /// Whether internal data may run on public agents.
    pub fn allow_internal_on_public(&self) -> bool {
        self.allow_internal_on_public
    }

    /// Changes the scoring policy and rebuilds the index: `O(d n)`.
    ///
    /// # Errors
    /// A bad [`Scoring`]; the pool is unchanged.
    pub fn set_scoring(&mut self, scoring: Scoring) -> Result<()> {
        let weights = scoring.weights()?;
        self.scoring = scoring;
        self.weights = weights;
        self.index = IndexCell(ClassedIndex::new(
            self.schema.len(),
            weights.demand_dependent(),
        ));
        for s in self.slots.iter_mut().flatten() {
            s.static_score = weights.static_score(s.used.load(&s.capacity), s.spec.cost_per_time);
        }
        self.rebuild_index();
        Ok(())
    }

    /// Number of agents (any state).
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether the pool has no agents.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether an agent with this id is in the pool.
    pub fn contains(&self, id: AgentId) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Agent ids in ascending order.
    pub fn ids(&self) -> impl Iterator<Item = AgentId> + '_ {
        self.order.iter().copied()
    }

    /// A view of one agent.
    pub fn agent(&self, id: AgentId) -> Option<AgentInfo> {
        let s = self.slot(id).ok()?;
        Some(AgentInfo {
            spec: s.spec.clone(),
            used: s.used.clone(),
            state: s.state,
        })
    }

    /// An agent's state.
    pub fn state(&self, id: AgentId) -> Option<AgentState> {
        self.slot(id).ok().map(|s| s.state)
    }

    /// An agent's allocated quantities.
    pub fn used(&self, id: AgentId) -> Option<&ResourceVec> {
        self.slot(id).ok().map(|s| &s.used)
    }

    /// An agent's free quantities.
    pub fn free(&self, id: AgentId) -> Option<&ResourceVec> {
        self.slot(id).ok().map(|s| &s.free)
    }

    /// An agent's relative speed.
    pub fn speed(&self, id: AgentId) -> Option<f64> {
        self.slot(id).ok().map(|s| s.spec.speed)
    }

    fn slot_index(&self, id: AgentId) -> Result<usize> {
        self.by_id
            .get(&id)
            .map(|&i| i as usize)
            .ok_or(Error::UnknownAgent(id))
    }

    fn slot(&self, id: AgentId) -> Result<&Slot> {
        let i = self.slot_index(id)?;
        self.slots
            .get(i)
            .and_then(Option::as_ref)
            .ok_or(Error::UnknownAgent(id))
    }

    /// Validates a spec against the schema.
    pub(crate) fn check_spec(&self, spec: &AgentSpec) -> Result<()> {
        if self.by_id.contains_key(&spec.id) {
            return Err(Error::DuplicateAgent(spec.id));
        }
        self.schema
            .check_len("agent.capacity", spec.capacity.len())?;
        check_non_negative("agent.cost_per_time", spec.cost_per_time)?;
        check_positive("agent.speed", spec.speed)?;
        Ok(())
    }

    /// Adds a ready agent with nothing allocated.
    ///
    /// # Errors
    /// [`Error::DuplicateAgent`], [`Error::DimensionMismatch`] for the capacity,
    /// [`Error::NotFinite`]/[`Error::Negative`]/[`Error::NotPositive`] for cost and speed. The pool
    /// is unchanged on error.
    ///
    /// # Complexity
    /// `O(d log n)`; `O(d n)` when the index doubles.
    pub fn join(&mut self, spec: AgentSpec) -> Result<()> {
        self.check_spec(&spec)?;
        let mut spec = spec;
        spec.cost_per_time += 0.0;
        let mut labels: SmallVec<[u32; 4]> =
            spec.labels.iter().map(|l| self.labels.intern(l)).collect();
        labels.sort_unstable();
        labels.dedup();
        let label_sig = labels.iter().fold(0, |acc, &l| acc | sig_bit(l));
        let capacity = ResourceVec::from_slice(&spec.capacity);
        let slot = Slot {
            used: ResourceVec::zeros(capacity.len()),
            free: capacity.clone(),
            static_score: self.weights.static_score(0.0, spec.cost_per_time),
            capacity,
            state: AgentState::Ready,
            labels,
            label_sig,
            spec,
        };
        let id = slot.spec.id;
        let i = match self.free_slots.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        self.by_id.insert(id, i);
        self.order.insert(id);
        if self.slots.len() > self.index.0.slots() {
            self.rebuild_index();
        } else {
            self.refresh(i as usize);
        }
        Ok(())
    }

    /// Removes an agent. It must have nothing allocated (release or requeue its tasks first).
    ///
    /// # Errors
    /// [`Error::UnknownAgent`]; [`Error::AgentState`] when something is still allocated.
    pub fn leave(&mut self, id: AgentId) -> Result<AgentSpec> {
        let i = self.slot_index(id)?;
        let s = self.slot(id)?;
        if !s.used.is_zero() {
            return Err(Error::AgentState {
                agent: id,
                state: "busy",
                expected: "idle (nothing allocated)",
            });
        }
        let slot = self.slots[i].take().ok_or(Error::UnknownAgent(id))?;
        self.by_id.remove(&id);
        self.order.remove(&id);
        self.free_slots.push(i as u32);
        self.index.0.update(i, None);
        Ok(slot.spec)
    }

    /// Sets an agent's state; only [`AgentState::Ready`] agents take new allocations.
    ///
    /// # Errors
    /// [`Error::UnknownAgent`].
    pub fn set_state(&mut self, id: AgentId, state: AgentState) -> Result<()> {
        let i = self.slot_index(id)?;
        if let Some(s) = self.slots[i].as_mut() {
            s.state = state;
        }
        self.refresh(i);
        Ok(())
    }

    /// Allocates `demand` on a ready agent, all dimensions at once.
    ///
    /// # Errors
    /// [`Error::UnknownAgent`], [`Error::AgentState`] if the agent is not ready,
    /// [`Error::DimensionMismatch`], [`Error::Underflow`] naming the first dimension where the
    /// demand exceeds the free quantity. Nothing is allocated on error.
    pub fn allocate(&mut self, id: AgentId, demand: &ResourceVec) -> Result<()> {
        let i = self.slot_index(id)?;
        let s = self.slot(id)?;
        if s.state != AgentState::Ready {
            return Err(Error::AgentState {
                agent: id,
                state: s.state.as_str(),
                expected: "ready",
            });
        }
        let free = s.free.checked_sub(demand, "agent.free")?;
        let used = s.used.checked_add(demand, "agent.used")?;
        self.commit(i, used, free);
        Ok(())
    }

    /// Releases `demand` from an agent in any state.
    ///
    /// # Errors
    /// [`Error::UnknownAgent`], [`Error::DimensionMismatch`], [`Error::Underflow`] when more
    /// would be released than is allocated. Nothing changes on error.
    pub fn release(&mut self, id: AgentId, demand: &ResourceVec) -> Result<()> {
        let i = self.slot_index(id)?;
        let s = self.slot(id)?;
        let used = s.used.checked_sub(demand, "agent.used")?;
        let free = s.free.checked_add(demand, "agent.free")?;
        self.commit(i, used, free);
        Ok(())
    }

    fn commit(&mut self, i: usize, used: ResourceVec, free: ResourceVec) {
        if let Some(s) = self.slots[i].as_mut() {
            s.static_score = self
                .weights
                .static_score(used.load(&s.capacity), s.spec.cost_per_time);
            s.used = used;
            s.free = free;
        }
        self.refresh(i);
    }

    fn leaf(s: &Slot) -> Option<Leaf<'_>> {
        (s.state == AgentState::Ready).then(|| Leaf {
            id: s.spec.id.0,
            static_score: s.static_score,
            tier_bit: tier_bit(s.spec.tier),
            label_sig: s.label_sig,
            free: s.free.as_slice(),
            capacity: s.capacity.as_slice(),
        })
    }

    fn refresh(&mut self, i: usize) {
        let leaf = self
            .slots
            .get(i)
            .and_then(Option::as_ref)
            .and_then(Self::leaf);
        self.index.0.update(i, leaf.as_ref());
    }

    fn rebuild_index(&mut self) {
        let ix = &mut self.index.0;
        if ix.slots() < self.slots.len() {
            ix.resize(self.slots.len());
        }
        for (i, s) in self.slots.iter().enumerate() {
            let leaf = s.as_ref().and_then(Self::leaf);
            ix.write_leaf(i, leaf.as_ref());
        }
        ix.rebuild();
    }

    /// Interns a task's required labels without adding new ones.
    pub(crate) fn label_set(&self, required: &[Label]) -> LabelSet {
        let mut set = LabelSet::default();
        for l in required {
            match self.labels.get(l) {
                Some(id) => {
                    set.ids.push(id);
                    set.sig |= sig_bit(id);
                }
                None => set.unknown = true,
            }
        }
        set.ids.sort_unstable();
        set.ids.dedup();
        set
    }

    pub(crate) fn tier_mask(&self, s: Sensitivity) -> u8 {
        let mut m = tier_bit(Tier::Private);
        if s.allowed_on(Tier::Public, self.allow_internal_on_public) {
            m |= tier_bit(Tier::Public);
        }
        m
    }

    /// The first reason an agent cannot take the task now, or `None` if it can.
    pub(crate) fn mismatch(
        &self,
        id: AgentId,
        demand: &ResourceVec,
        sensitivity: Sensitivity,
        required: &[Label],
    ) -> Option<Mismatch> {
        let s = self.slot(id).ok()?;
        match s.state {
            AgentState::Down => return Some(Mismatch::Down),
            AgentState::Draining => return Some(Mismatch::Draining),
            AgentState::Ready => {}
        }
        self.static_mismatch(s, demand, sensitivity, required)
            .or_else(|| {
                demand
                    .first_shortfall(&s.free)
                    .map(|(dimension, _)| Mismatch::Short { dimension })
            })
    }

    /// The first reason an agent could never take the task, whatever runs on it.
    fn static_mismatch(
        &self,
        s: &Slot,
        demand: &ResourceVec,
        sensitivity: Sensitivity,
        required: &[Label],
    ) -> Option<Mismatch> {
        if !sensitivity.allowed_on(s.spec.tier, self.allow_internal_on_public) {
            return Some(Mismatch::TierNotAllowed);
        }
        if let Some(l) = required.iter().find(|l| !s.spec.labels.contains(l)) {
            return Some(Mismatch::MissingLabel(l.clone()));
        }
        demand
            .first_shortfall(&s.capacity)
            .map(|(dimension, _)| Mismatch::CapacityTooSmall { dimension })
    }

    /// Whether some agent in the pool, in any state (a down agent may recover), could hold the
    /// task once idle: capacity, tier and labels.
    pub(crate) fn could_ever_fit(
        &self,
        demand: &ResourceVec,
        sensitivity: Sensitivity,
        required: &[Label],
    ) -> bool {
        self.slots.iter().flatten().any(|s| {
            self.static_mismatch(s, demand, sensitivity, required)
                .is_none()
        })
    }

    /// Per-dimension shortfall of `demand` against the agent's free quantities.
    pub(crate) fn shortfall(&self, id: AgentId, demand: &ResourceVec) -> Option<Vec<u64>> {
        let s = self.slot(id).ok()?;
        Some(
            demand
                .as_slice()
                .iter()
                .zip(s.free.as_slice())
                .map(|(d, f)| d.saturating_sub(*f))
                .collect(),
        )
    }

    /// The agent's exact score for `demand` (it must pass the hard constraints to matter).
    fn point_score(&self, s: &Slot, demand: &[u64]) -> f64 {
        score::eval(&self.weights, s.static_score, demand, |j| {
            let c = s.capacity.as_slice().get(j).copied().unwrap_or(0);
            let f = free_fraction(s.free.as_slice().get(j).copied().unwrap_or(0), c);
            score::DimBounds {
                fmin: f,
                fmax: f,
                capmin: if c == 0 { u64::MAX } else { c },
                capmax: c,
            }
        })
    }

    fn eligible(&self, s: &Slot, demand: &ResourceVec, tier_mask: u8, labels: &LabelSet) -> bool {
        s.state == AgentState::Ready
            && tier_bit(s.spec.tier) & tier_mask != 0
            && labels.ids.iter().all(|l| s.labels.binary_search(l).is_ok())
            && demand.fits(&s.free)
    }

    /// The `k` best ready agents for a task, best first, through the index.
    ///
    /// # Arguments
    /// * `c` - the task's demand, sensitivity and required labels.
    /// * `k` - how many candidates at most.
    ///
    /// # Returns
    /// Up to `k` candidates ordered by score (descending), then id (ascending). Empty when no
    /// ready agent can take the task now.
    ///
    /// # Complexity
    /// `O(k d log n)` when the agents with the best bounds fit; the bounds prune whole subtrees,
    /// so the search never does more than a full scan's `O(d n)`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the demand has the wrong length.
    pub fn candidates(&self, c: &Constraints<'_>, k: usize) -> Result<Vec<Candidate>> {
        self.schema.check_len("task.demand", c.demand.len())?;
        let labels = self.label_set(c.required_labels);
        Ok(self.search(c.demand, self.tier_mask(c.sensitivity), &labels, None, k))
    }

    /// Same answer as [`Pool::candidates`] by scoring every agent: the reference and the
    /// benchmark baseline. `O(d n)`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the demand has the wrong length.
    pub fn candidates_scan(&self, c: &Constraints<'_>, k: usize) -> Result<Vec<Candidate>> {
        self.schema.check_len("task.demand", c.demand.len())?;
        let labels = self.label_set(c.required_labels);
        Ok(self.scan(c.demand, self.tier_mask(c.sensitivity), &labels, None, k))
    }

    pub(crate) fn search(
        &self,
        demand: &ResourceVec,
        tier_mask: u8,
        labels: &LabelSet,
        exclude: Option<AgentId>,
        k: usize,
    ) -> Vec<Candidate> {
        if labels.unknown {
            return Vec::new();
        }
        let adaptive = self.weights.demand_dependent();
        if adaptive {
            let n = self.effort.queries.fetch_add(1, Relaxed);
            // A node costs about what scoring an agent does: past a third of the pool's size in
            // nodes per search, scan; re-measure one query in 32.
            if self.effort.visited_per_agent.load(Relaxed) > 341 && n % 32 != 0 {
                return self.scan(demand, tier_mask, labels, exclude, k);
            }
        }
        let mut top = TopK::new(k);
        let q = Query {
            demand: demand.as_slice(),
            tier_mask,
            label_sig: labels.sig,
        };
        self.index
            .0
            .search(&self.weights, &q, &mut top, &mut |slot| {
                let s = self.slots.get(slot)?.as_ref()?;
                if Some(s.spec.id) == exclude || !self.eligible(s, demand, tier_mask, labels) {
                    return None;
                }
                Some((self.point_score(s, demand.as_slice()), s.spec.id.0))
            });
        if adaptive {
            let ratio = (top.visited * 1024 / self.by_id.len().max(1) as u64).min(4096) as u32;
            let old = self.effort.visited_per_agent.load(Relaxed);
            let new = (old as i64 + (ratio as i64 - old as i64) / 8) as u32;
            self.effort.visited_per_agent.store(new, Relaxed);
        }
        Self::candidates_of(top)
    }

    fn candidates_of(top: TopK) -> Vec<Candidate> {
        top.items
            .into_iter()
            .map(|c| Candidate {
                agent: AgentId(c.id),
                score: c.score,
            })
            .collect()
    }

    pub(crate) fn scan(
        &self,
        demand: &ResourceVec,
        tier_mask: u8,
        labels: &LabelSet,
        exclude: Option<AgentId>,
        k: usize,
    ) -> Vec<Candidate> {
        if labels.unknown {
            return Vec::new();
        }
        let mut top = TopK::new(k);
        for (slot, s) in self.slots.iter().enumerate() {
            let Some(s) = s else { continue };
            if Some(s.spec.id) == exclude || !self.eligible(s, demand, tier_mask, labels) {
                continue;
            }
            top.offer(index::Scored {
                score: self.point_score(s, demand.as_slice()),
                id: s.spec.id.0,
                slot: slot as u32,
            });
        }
        Self::candidates_of(top)
    }

    /// The agent's exact score if it can take the task now (ignoring reservations).
    pub(crate) fn eligible_score(
        &self,
        id: AgentId,
        demand: &ResourceVec,
        tier_mask: u8,
        labels: &LabelSet,
    ) -> Option<f64> {
        let s = self.slot(id).ok()?;
        (!labels.unknown && self.eligible(s, demand, tier_mask, labels))
            .then(|| self.point_score(s, demand.as_slice()))
    }

    /// Whether a ready agent meets the task's tier, labels and capacity (it may be busy now).
    pub(crate) fn could_hold(
        &self,
        id: AgentId,
        demand: &ResourceVec,
        sensitivity: Sensitivity,
        required: &[Label],
    ) -> bool {
        self.slot(id).is_ok_and(|s| {
            s.state == AgentState::Ready
                && self
                    .static_mismatch(s, demand, sensitivity, required)
                    .is_none()
        })
    }

    /// An agent's capacity.
    pub fn capacity(&self, id: AgentId) -> Option<&ResourceVec> {
        self.slot(id).ok().map(|s| &s.capacity)
    }

    /// Sum of every agent's capacity that is not down, per dimension (saturating).
    pub fn total_capacity(&self) -> ResourceVec {
        let mut t = ResourceVec::zeros(self.schema.len());
        for s in self.slots.iter().flatten() {
            if s.state == AgentState::Down {
                continue;
            }
            for (a, b) in t.as_mut_slice().iter_mut().zip(s.capacity.as_slice()) {
                *a = a.saturating_add(*b);
            }
        }
        t
    }
}

impl Candidate {
    /// Whether `self` ranks before `other` (higher score, then lower id).
    pub(crate) fn beats(&self, other: &Candidate) -> bool {
        index::cmp_key(self.score, self.agent.0, other.score, other.agent.0)
            == std::cmp::Ordering::Greater
    }
}

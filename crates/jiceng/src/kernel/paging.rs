//! Paging for every list: `page` from 1, `per_page` at most 500, and one page of a query with
//! its total (no silent caps).

use serde::{Deserialize, Serialize};

/// Paging for every list: `page` from 1, `per_page` at most 500.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(default)]
pub struct PageParams {
    pub page: u64,
    pub per_page: u64,
}

impl Default for PageParams {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: 50,
        }
    }
}

impl PageParams {
    pub const MAX_PER_PAGE: u64 = 500;

    pub fn normalised(self) -> Self {
        Self {
            page: self.page.max(1),
            per_page: self.per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// One page of a query (already filtered and ordered) and the total count.
pub(crate) async fn paginate<E, T>(
    db: &sea_orm::DatabaseConnection,
    q: sea_orm::Select<E>,
    page: PageParams,
    map: impl FnMut(E::Model) -> crate::error::AppResult<T>,
) -> crate::error::AppResult<Page<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let page = page.normalised();
    let total = q.clone().count(db).await?;
    let items = q
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?
        .into_iter()
        .map(map)
        .collect::<crate::error::AppResult<_>>()?;
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}
